import { defineMessage, t } from '../../../src/messages/index.ts';

export class Ping2 extends defineMessage('test.runtime.Ping2', { n: t.int }) {}
export class Pong2 extends defineMessage('test.runtime.Pong2', { n: t.int }) {}
export class Tick extends defineMessage('test.runtime.Tick', {}) {}
export class Open extends defineMessage('test.runtime.Open', {}) {}
export class Close extends defineMessage('test.runtime.Close', {}) {}
export class Knock extends defineMessage('test.runtime.Knock', { who: t.string }) {}
