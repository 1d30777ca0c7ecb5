import { defineMessage, t } from '../../src/index.ts';

/** What the client asks: a piece of text to shout back. */
export const Request = defineMessage('listen-connect.Request', { text: t.string, sent: t.date });
export type Request = InstanceType<typeof Request>;

/** What the server answers. */
export const Response = defineMessage('listen-connect.Response', {
  text: t.string,
  sent: t.date,
  server: t.string,
});
export type Response = InstanceType<typeof Response>;
