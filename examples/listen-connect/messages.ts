import { defineMessage, t } from 'callsign';

/** What the client asks: a piece of text to shout back. */
export class Request extends defineMessage('listen-connect.Request', {
  text: t.string,
  sent: t.date,
}) {}

/** What the server answers. */
export class Response extends defineMessage('listen-connect.Response', {
  text: t.string,
  sent: t.date,
  server: t.string,
}) {}
