import { defineMessage, t } from '../../../src/messages/index.ts';

export const Ping2 = defineMessage('test.runtime.Ping2', { n: t.int });
export type Ping2 = InstanceType<typeof Ping2>;
export const Pong2 = defineMessage('test.runtime.Pong2', { n: t.int });
export type Pong2 = InstanceType<typeof Pong2>;
export const Tick = defineMessage('test.runtime.Tick', {});
export const Open = defineMessage('test.runtime.Open', {});
export const Close = defineMessage('test.runtime.Close', {});
export const Knock = defineMessage('test.runtime.Knock', { who: t.string });
