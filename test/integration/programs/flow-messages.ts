import { defineMessage, t } from '../../../src/index.ts';

/** One small message of a flood (about 100 bytes on the wire). */
export class Sample extends defineMessage('test.flow.Sample', { i: t.uint, pad: t.string }) {}
/** Sent last, under the blocking policy, so it arrives after every accepted Sample. */
export class Finish extends defineMessage('test.flow.Finish', { sent: t.uint }) {}
/** The consumer's count, in answer to Finish. */
export class Tally extends defineMessage('test.flow.Tally', { received: t.uint }) {}
