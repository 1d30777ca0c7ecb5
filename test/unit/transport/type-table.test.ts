import { describe, expect, it } from 'vitest';
import { isCallsignError } from '../../../src/errors.ts';
import { Reader, Writer } from '../../../src/messages/binary.ts';
import { decodeMessage, encodeMessage } from '../../../src/messages/codec.ts';
import { defineMessage, infoOfClass } from '../../../src/messages/registry.ts';
import { t } from '../../../src/messages/schema.ts';
import { ConnectionTypes } from '../../../src/transport/type-table.ts';

class Alpha extends defineMessage('test.types.Alpha', { n: t.int }) {}
class Beta extends defineMessage('test.types.Beta', { s: t.string }) {}

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return isCallsignError(err) ? err.code : String(err);
  }
  return undefined;
}

describe('message types by id on a connection', () => {
  it('names each type once, in order, and then writes only its id', () => {
    const ours = new ConnectionTypes();
    const theirs = new ConnectionTypes();
    const a = ours.announce(infoOfClass(Alpha));
    const b = ours.announce(infoOfClass(Beta));
    expect([a?.id, b?.id, ours.announce(infoOfClass(Alpha))]).toEqual([1, 2, undefined]);
    theirs.define(a!);
    theirs.define(b!);
    const bytes = encodeMessage(new Beta({ s: 'hello' }), { types: ours });
    expect(bytes.length).toBeLessThan(encodeMessage(new Beta({ s: 'hello' })).length);
    expect((decodeMessage(bytes, { types: theirs }) as Beta).s).toBe('hello');
  });

  it('refuses an id out of order, an id never named, and an unknown name with codes', () => {
    const theirs = new ConnectionTypes();
    expect(code(() => theirs.define({ id: 2, name: 'test.types.Alpha' }))).toBe(
      'ERR_MALFORMED_FRAME',
    );
    theirs.define({ id: 1, name: 'test.types.Nobody' });
    const w = new Writer();
    w.varuint(1);
    expect(code(() => theirs.read(new Reader(w.view())))).toBe('ERR_UNKNOWN_MESSAGE');
    const v = new Writer();
    v.varuint(9);
    expect(code(() => theirs.read(new Reader(v.view())))).toBe('ERR_MALFORMED_MESSAGE');
    expect(code(() => new ConnectionTypes().write(new Writer(), infoOfClass(Alpha)))).toBe(
      'ERR_INVALID_STATE',
    );
  });
});
