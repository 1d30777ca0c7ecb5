import { defineMessage, t } from 'callsign';

/** What the subscriber says. */
export class Hello extends defineMessage('hello-welcome.Hello', { name: t.string }) {}

/** What the publisher answers. */
export class Welcome extends defineMessage('hello-welcome.Welcome', {
  text: t.string,
  from: t.string,
}) {}
