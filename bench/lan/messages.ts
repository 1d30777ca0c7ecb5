// The message of bench:lan's request/reply between hosts.
import { defineMessage, t } from 'callsign';

/** A request and its reply: `data` comes back as it went. */
export class Echo extends defineMessage('bench.lan.Echo', { data: t.bytes }) {}

/** The name rtt-echo.ts publishes at LAN scope. */
export const ECHO_NAME = 'lab-echo';
