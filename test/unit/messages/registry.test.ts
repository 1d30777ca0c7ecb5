import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage } from '../../../src/messages/codec.ts';
import {
  defineMessage,
  isMessage,
  lookupMessage,
  Message,
  messageClassOf,
  setCodeGeneration,
  typeNameOf,
} from '../../../src/messages/registry.ts';
import { isFieldType, t } from '../../../src/messages/schema.ts';
import { Stop } from '../../../src/messages/standard.ts';
import { callsignErrorOf } from './fixtures.ts';

describe.each([
  ['generated code', true],
  ['closures', false],
])('defineMessage (%s)', (_mode, generated) => {
  const prefix = `registry.${generated ? 'gen' : 'closure'}`;
  setCodeGeneration(generated);
  class Hello extends defineMessage(`${prefix}.Hello`, {
    text: t.string,
    count: t.optional(t.int),
  }) {}
  class Empty extends defineMessage(`${prefix}.Empty`, {}) {}
  setCodeGeneration(true);

  it('makes instances with exactly the schema fields, in schema order', () => {
    const m = new Hello({ text: 'hi', count: 2 });
    expect(Object.keys(m)).toEqual(['text', 'count']);
    expect(JSON.stringify(m)).toBe('{"text":"hi","count":2}');
    expect({ ...m }).toEqual({ text: 'hi', count: 2 });
  });

  it('sets absent optional fields to undefined and ignores extra keys', () => {
    const m = new Hello({ text: 'hi', extra: 1 } as { text: string });
    expect(Object.keys(m)).toEqual(['text', 'count']);
    expect(m.count).toBeUndefined();
    expect(JSON.stringify(m)).toBe('{"text":"hi"}');
  });

  it('lets a message without required fields be built without an argument', () => {
    expect(Object.keys(new Empty())).toEqual([]);
    expect(JSON.stringify(new Empty())).toBe('{}');
    expect(Object.keys(new Empty({}))).toEqual([]);
  });

  it('gives the class its type name and frozen schema', () => {
    expect(Hello.typeName).toBe(`${prefix}.Hello`);
    expect(Object.isFrozen(Hello.schema)).toBe(true);
    expect(Object.keys(Hello.schema)).toEqual(['text', 'count']);
  });

  it('registers the class under its type name', () => {
    expect(lookupMessage(`${prefix}.Hello`)).toBe(Hello);
    expect(lookupMessage(`${prefix}.Nope`)).toBeUndefined();
  });

  it('recognises its instances', () => {
    const m = new Hello({ text: 'hi' });
    expect(m).toBeInstanceOf(Message);
    expect(m).toBeInstanceOf(Hello);
    expect(isMessage(m)).toBe(true);
    expect(messageClassOf(m)).toBe(Hello);
    expect(typeNameOf(m)).toBe(`${prefix}.Hello`);
  });

  it('refuses a second class for the same type name', () => {
    class Sub extends Hello {}
    expect(callsignErrorOf(() => new Sub({ text: 'x' })).code).toBe('ERR_DUPLICATE_MESSAGE_TYPE');
    const Base = Object.getPrototypeOf(Hello) as typeof Hello;
    class Other extends Base {}
    expect(callsignErrorOf(() => new Other({ text: 'x' })).code).toBe('ERR_DUPLICATE_MESSAGE_TYPE');
  });

  it('decodes into the class that extends the definition, with its methods', () => {
    class Greeting extends defineMessage(`${prefix}.Greeting`, { who: t.string }) {
      line(): string {
        return `hello, ${this.who}`;
      }
    }
    const m = decodeMessage(encodeMessage(new Greeting({ who: 'ada' })));
    expect(m).toBeInstanceOf(Greeting);
    expect(m.constructor).toBe(Greeting);
    expect((m as Greeting).line()).toBe('hello, ada');
    expect(messageClassOf(m)).toBe(Greeting);
    expect(lookupMessage(`${prefix}.Greeting`)).toBe(Greeting);
  });

  it('gives a message decoded before its class was first used that class, on instanceof', () => {
    class Late extends defineMessage(`${prefix}.Late`, { n: t.int }) {
      twice(): number {
        return this.n * 2;
      }
    }
    // Built by the definition itself, as the codec does before it has seen Late.
    const Definition = Object.getPrototypeOf(Late) as new (f: { n: number }) => Message;
    const early = decodeMessage(encodeMessage(new Definition({ n: 21 })));
    expect(early.constructor).toBe(Definition);
    expect(early instanceof Late).toBe(true);
    expect((early as Late).twice()).toBe(42);
    expect(decodeMessage(encodeMessage(new Definition({ n: 1 })))).toBeInstanceOf(Late);
    expect(new Hello({ text: 'x' }) instanceof Late).toBe(false);
  });
});

describe('defineMessage', () => {
  it('refuses a type name that is taken', () => {
    defineMessage('registry.Taken', {});
    const err = callsignErrorOf(() => defineMessage('registry.Taken', { x: t.int }));
    expect(err.code).toBe('ERR_DUPLICATE_MESSAGE_TYPE');
    expect(lookupMessage('registry.Taken')?.schema).toEqual({});
  });

  it.each([[''], ['has space'], ['tab\t'], ['ünïcode'], ['x'.repeat(256)], [42]])(
    'refuses the type name %j',
    (name) => {
      expect(callsignErrorOf(() => defineMessage(name as string, {})).code).toBe(
        'ERR_INVALID_MESSAGE',
      );
    },
  );

  it('accepts a type name of 255 printable characters', () => {
    const name = `registry.${'x'.repeat(246)}`;
    class Long extends defineMessage(name, {}) {}
    expect(encodeMessage(new Long()).length).toBe(2 + 255);
  });

  it.each([['__proto__'], ['constructor'], ['then']])('refuses the field name %s', (name) => {
    const schema = {};
    Object.defineProperty(schema, name, { value: t.string, enumerable: true });
    expect(callsignErrorOf(() => defineMessage(`registry.reserved.${name}`, schema)).code).toBe(
      'ERR_INVALID_MESSAGE',
    );
  });

  it('refuses schemas that are not made of field types', () => {
    for (const schema of [null, [], { x: 'string' }, { x: { kind: 'string', minSize: 1 } }]) {
      expect(
        callsignErrorOf(() => defineMessage('registry.bad', schema as unknown as {})).code,
      ).toBe('ERR_INVALID_MESSAGE');
    }
    expect(lookupMessage('registry.bad')).toBeUndefined();
  });

  it('refuses t.message() of a class that is not registered', () => {
    class Fake extends Message {
      static readonly typeName = 'registry.Fake';
      static readonly schema = {};
    }
    expect(
      callsignErrorOf(() => defineMessage('registry.UsesFake', { f: t.message(Fake) })).code,
    ).toBe('ERR_INVALID_MESSAGE');
  });

  it('refuses containers of items that take no bytes', () => {
    expect(callsignErrorOf(() => t.array(t.message(Stop))).code).toBe('ERR_INVALID_MESSAGE');
    expect(callsignErrorOf(() => t.record(t.message(Stop))).code).toBe('ERR_INVALID_MESSAGE');
    expect(callsignErrorOf(() => t.map(t.string, t.message(Stop))).code).toBe(
      'ERR_INVALID_MESSAGE',
    );
    // as a field of its own, or optional, an empty message is fine
    expect(isFieldType(t.array(t.optional(t.message(Stop))))).toBe(true);
  });

  it('refuses bad field type arguments', () => {
    const bad = [
      () => t.enumOf([]),
      () => t.enumOf(['a', 'a']),
      () => t.enumOf([1] as unknown as string[]),
      () => t.optional(t.optional(t.string)),
      () => t.map(t.bool as unknown as typeof t.string, t.int),
      () => t.map(t.array(t.string) as unknown as typeof t.string, t.int),
      () => t.array('string' as unknown as typeof t.string),
      () => t.message({} as never),
    ];
    for (const fn of bad) expect(callsignErrorOf(fn).code).toBe('ERR_INVALID_MESSAGE');
  });
});

describe('isMessage, messageClassOf, typeNameOf', () => {
  it('reject what is not a registered message', () => {
    class Unregistered extends Message {}
    for (const x of [null, undefined, 1, 'Stop', {}, Stop, new Unregistered()]) {
      expect(isMessage(x)).toBe(false);
    }
    expect(callsignErrorOf(() => messageClassOf({} as Message)).code).toBe('ERR_INVALID_MESSAGE');
    expect(callsignErrorOf(() => typeNameOf(new Unregistered())).code).toBe('ERR_INVALID_MESSAGE');
  });
});

describe('class names', () => {
  it.each([
    ['registry.names.Hello', 'Hello'],
    ['registry.names.with-dash', 'with_dash'],
    ['registry.names.9lives', '_9lives'],
    ['registry.names.class', 'MessageClass'],
    ['registry.names.Message', 'Message_'],
    ['registry.names.info', 'info_'],
    ['registry.names.construct', 'construct_'],
    ['registry.names.NO_FIELDS', 'NO_FIELDS_'],
    ['registry.names.', '_'],
  ])('%s is a class named %s that works', (typeName, name) => {
    class C extends defineMessage(typeName, { x: t.int }) {}
    expect(Object.getPrototypeOf(C).name).toBe(name);
    const m = new C({ x: 1 });
    expect(Object.keys(m)).toEqual(['x']);
    expect(typeNameOf(m)).toBe(typeName);
    class Sub extends C {}
    expect(callsignErrorOf(() => new Sub({ x: 1 })).message).toContain(typeName);
  });
});
