/**
 * Type-level tests: `npm run typecheck` enforces them (an unused
 * `@ts-expect-error` is itself an error); vitest runs the few run-time checks.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { Address } from '../../../src/messages/address.ts';
import { decodeMessage, encodeMessage } from '../../../src/messages/codec.ts';
import { defineMessage, type Message, type MessageClass } from '../../../src/messages/registry.ts';
import { type Infer, t } from '../../../src/messages/schema.ts';
import { Faulted, SelectTimer, Stop } from '../../../src/messages/standard.ts';
import { callsignErrorOf } from './fixtures.ts';

class Hello extends defineMessage('types.Hello', { text: t.string }) {}

class Every extends defineMessage('types.Every', {
  s: t.string,
  b: t.bool,
  i: t.int,
  u: t.uint,
  f: t.float,
  big: t.bigint,
  bytes: t.bytes,
  d: t.date,
  any: t.any,
  addr: t.address,
  list: t.array(t.string),
  byKey: t.map(t.enumOf(['a', 'b']), t.array(t.int)),
  rec: t.record(t.bool),
  hello: t.message(Hello),
  note: t.optional(t.string),
  color: t.enumOf(['red', 'green']),
}) {}

describe('types', () => {
  it('rejects a field of the wrong type at compile time', () => {
    // @ts-expect-error text must be a string
    const bad = new Hello({ text: 1 });
    expect(callsignErrorOf(() => encodeMessage(bad)).code).toBe('ERR_INVALID_MESSAGE');
  });

  it('requires required fields and the argument when a field is required', () => {
    // @ts-expect-error text is required
    void (() => new Hello({}));
    // @ts-expect-error the fields are required
    void (() => new Hello());
    // @ts-expect-error no such field
    void (() => new Hello({ text: '', other: 1 }));
    expectTypeOf(new Stop()).toEqualTypeOf<Stop>();
    expectTypeOf(new Faulted({ code: 'X', message: 'm' })).toEqualTypeOf<Faulted>();
  });

  it('infers field types, with optional fields as optional properties', () => {
    type E = InstanceType<typeof Every>;
    expectTypeOf<E['s']>().toEqualTypeOf<string>();
    expectTypeOf<E['b']>().toEqualTypeOf<boolean>();
    expectTypeOf<E['i']>().toEqualTypeOf<number>();
    expectTypeOf<E['big']>().toEqualTypeOf<bigint>();
    expectTypeOf<E['bytes']>().toEqualTypeOf<Uint8Array>();
    expectTypeOf<E['d']>().toEqualTypeOf<Date>();
    expectTypeOf<E['any']>().toEqualTypeOf<unknown>();
    expectTypeOf<E['addr']>().toEqualTypeOf<Address>();
    expectTypeOf<E['list']>().toEqualTypeOf<string[]>();
    expectTypeOf<E['byKey']>().toEqualTypeOf<Map<'a' | 'b', number[]>>();
    expectTypeOf<E['rec']>().toEqualTypeOf<Record<string, boolean>>();
    expectTypeOf<E['hello']>().toEqualTypeOf<Hello>();
    expectTypeOf<E['color']>().toEqualTypeOf<'red' | 'green'>();
    expectTypeOf<Infer<typeof Every.schema>>().toHaveProperty('note');
    type Fields = Infer<{ a: typeof t.string; b: ReturnType<typeof t.optional<number>> }>;
    expectTypeOf<Fields>().toEqualTypeOf<{ a: string; b?: number | undefined }>();
    expectTypeOf(Every.typeName).toEqualTypeOf<'types.Every'>();
  });

  it('makes message classes usable where a MessageClass is expected', () => {
    const classes: MessageClass[] = [Hello, Every, Stop, SelectTimer];
    expect(classes).toHaveLength(4);
    expectTypeOf(decodeMessage(encodeMessage(new Hello({ text: 'x' })))).toEqualTypeOf<Message>();
    // a plain object is not a Message
    // @ts-expect-error Message is nominal
    const notMessage: Message = { text: 'x' } as { text: string };
    void notMessage;
  });

  it('narrows with instanceof, in both branches for interface-declared messages', () => {
    const m = new Hello({ text: 'x' }) as Hello | SelectTimer;
    if (m instanceof SelectTimer) {
      expectTypeOf(m.seconds).toEqualTypeOf<number>();
    } else {
      expectTypeOf(m.text).toEqualTypeOf<string>();
    }
    if (m instanceof Hello) expectTypeOf(m.text).toEqualTypeOf<string>();

    class Ping2 extends defineMessage('types.Ping2', { sent: t.float }) {}
    const p = new Ping2({ sent: 1 }) as Ping2 | Hello;
    if (p instanceof Ping2) expectTypeOf(p.sent).toEqualTypeOf<number>();
    else expectTypeOf(p.text).toEqualTypeOf<string>();
    expect(p).toBeInstanceOf(Ping2);
  });
});
