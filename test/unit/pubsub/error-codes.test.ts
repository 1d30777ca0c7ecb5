import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  decodeMessage,
  type ErrorCode,
  encodeMessage,
  isErrorCode,
  NotPublished,
  type WireErrorCode,
} from '../../../src/index.ts';

describe('error codes on the wire (t.errorCode)', () => {
  it('are typed: a message is built only with a code this version lists', () => {
    const m = new NotPublished({ name: 'x', scope: 'host', code: 'ERR_WRONG_REALM', reason: 'r' });
    expectTypeOf(m.code).toEqualTypeOf<WireErrorCode>();
    // @ts-expect-error a code that is not an ErrorCode does not compile
    void new NotPublished({ name: 'x', scope: 'host', code: 'ERR_WRONG_RELAM', reason: 'r' });
    // A received code can be passed on as it is.
    void new NotPublished({ name: 'y', scope: 'host', code: m.code, reason: 'passed on' });
    const back = decodeMessage(encodeMessage(m));
    expect(back).toBeInstanceOf(NotPublished);
    expect((back as NotPublished).code).toBe('ERR_WRONG_REALM');
  });

  it('decode a newer peer’s code without failing, and isErrorCode tells it apart', () => {
    // What a newer version would send: a code this one does not list.
    const newer = 'ERR_FROM_THE_FUTURE' as ErrorCode;
    const bytes = encodeMessage(
      new NotPublished({ name: 'x', scope: 'lan', code: newer, reason: 'r' }),
    );
    const back = decodeMessage(bytes) as NotPublished;
    expect(back.code).toBe('ERR_FROM_THE_FUTURE');
    expect(isErrorCode(back.code)).toBe(false);
    expect(isErrorCode('ERR_WRONG_REALM')).toBe(true);
    const code: WireErrorCode = back.code;
    if (isErrorCode(code)) expectTypeOf(code).toEqualTypeOf<ErrorCode>();
  });
});
