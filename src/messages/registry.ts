import { CallsignError } from '../errors.ts';
import type { Reader, Writer } from './binary.ts';
import type { CodecContext } from './codec.ts';
import {
  type Descriptor,
  descriptorOf,
  type Infer,
  isFieldType,
  type RequiredKeys,
  type Schema,
} from './schema.ts';

/**
 * The message registry: {@link defineMessage} makes a message class and
 * records it under its type name, so that the codec can find it again when
 * the name arrives from the network.
 *
 * @module
 */

/** Where a message class keeps what the registry and the codec know about it. */
const INFO = Symbol('callsign.messageInfo');

/**
 * The base class of every message. Make message classes by extending what
 * {@link defineMessage} returns, not by extending this class.
 *
 * A message instance has exactly its schema's fields as own enumerable
 * properties, so `JSON.stringify(msg)` and `{ ...msg }` give its fields.
 */
export abstract class Message {
  // Type-level only: makes Message nominal, so that a plain object is not one.
  declare private readonly messageBrand: never;
}

/** A message class: a constructor with a type name and a schema. */
export interface MessageClass<M extends Message = Message> {
  // biome-ignore lint/suspicious/noExplicitAny: any constructor of M qualifies
  new (...args: any[]): M;
  readonly typeName: string;
  readonly schema: Schema;
}

/** The arguments of the constructor of a message class with schema `S`. */
export type MessageFields<S extends Schema> = [RequiredKeys<S>] extends [never]
  ? [fields?: Infer<S>]
  : [fields: Infer<S>];

/** The instance type of a message with schema `S`: `Message` and the fields. */
export type MessageOf<S extends Schema> = Message & Infer<S>;

/**
 * The class {@link defineMessage} returns, which a message class extends.
 * Its instances are `M`, by default {@link MessageOf}`<S>`.
 *
 * ```ts
 * export class Hello extends defineMessage('demo.Hello', { text: t.string }) {}
 * ```
 */
export interface DefinedMessageClass<
  S extends Schema,
  N extends string = string,
  M extends Message = MessageOf<S>,
> {
  new (...args: MessageFields<S>): M;
  /** The type name the class is registered under. */
  readonly typeName: N;
  /** The schema, frozen. */
  readonly schema: S;
}

/** @internal Writes the fields of a message (not its type name). */
export type FieldsEncoder = (
  w: Writer,
  m: Message,
  ctx: CodecContext | undefined,
  depthLeft: number,
) => void;

/** @internal Reads the fields of a message and builds the instance. */
export type FieldsDecoder = (
  r: Reader,
  ctx: CodecContext | undefined,
  depthLeft: number,
) => Message;

/** @internal What the registry knows about one message class. */
export interface MessageInfo {
  /**
   * The class decoding builds: the class that extends what `defineMessage`
   * returned, once the registry has seen it (it is adopted the first time it
   * is constructed, selected, given to `t.message`, or used with
   * `instanceof`), else that returned class itself.
   */
  cls: MessageClass;
  /** The class `defineMessage` returned. */
  readonly base: MessageClass;
  readonly typeName: string;
  readonly schema: Schema;
  /** Field names, in wire order. */
  readonly names: readonly string[];
  /** Field descriptors, in wire order. */
  readonly fields: readonly Descriptor[];
  /** The type name as written on the wire: varuint length + ASCII. */
  readonly header: Uint8Array;
  /** Whether the class and its codec are made with `new Function` (else closures). */
  readonly generated: boolean;
  /** Compiled by the codec on first use. */
  encode: FieldsEncoder | undefined;
  /** Compiled by the codec on first use. */
  decode: FieldsDecoder | undefined;
}

const registry = new Map<string, MessageInfo>();

const TYPE_NAME = /^[\x21-\x7e]{1,255}$/;
/** Field names that would break instances: the prototype setter, `constructor`, and thenables. */
const RESERVED_FIELDS = new Set(['__proto__', 'constructor', 'then']);

function definitionError(text: string): CallsignError {
  return new CallsignError('ERR_INVALID_MESSAGE', `invalid message definition: ${text}`);
}

let codeGeneration: boolean | undefined;

/**
 * @internal Whether `new Function` may be used to build constructors and
 * codecs (it is much faster). Probed once; off where code generation from
 * strings is disallowed.
 */
export function canGenerateCode(): boolean {
  if (codeGeneration === undefined) {
    try {
      codeGeneration = new Function('return 1')() === 1;
    } catch {
      codeGeneration = false;
    }
  }
  return codeGeneration;
}

/**
 * @internal For tests and benchmarks: classes defined while this is off use
 * the closure-based fallback; `true` probes again.
 */
export function setCodeGeneration(enabled: boolean): void {
  codeGeneration = enabled ? undefined : false;
}

/**
 * Makes `cls`, a class that extends the one `defineMessage` returned for
 * `info`, the class that decoding builds. One type name has one class: a
 * second, unrelated subclass is refused.
 */
function adopt(info: MessageInfo, cls: MessageClass): void {
  if (cls === info.cls || cls === info.base) return;
  if (info.cls !== info.base) {
    throw new CallsignError(
      'ERR_DUPLICATE_MESSAGE_TYPE',
      `${info.typeName} is already declared by class ${info.cls.name}; ${cls.name} cannot declare it again`,
    );
  }
  if (!Object.prototype.isPrototypeOf.call(info.base.prototype, cls.prototype)) {
    throw new CallsignError('ERR_INVALID_MESSAGE', `${cls.name} does not extend ${info.typeName}`);
  }
  info.cls = cls;
  // Decoders made earlier build the class they were made with.
  info.decode = undefined;
}

/** Adopts the class being constructed, for the generated constructors. */
function construct(info: MessageInfo, target: MessageClass): void {
  if (target !== info.cls) adopt(info, target);
}

/**
 * `x instanceof C` for a message class `C`: true for every message of its
 * type name, including one decoded before `C` was adopted (which then gets
 * `C`'s prototype, so that it has `C`'s methods too).
 */
function hasInstance(info: MessageInfo): (this: MessageClass, x: unknown) => boolean {
  return function (this: MessageClass, x: unknown): boolean {
    if (typeof x !== 'object' || x === null) return false;
    if ((x as { [INFO]?: MessageInfo })[INFO] !== info) return false;
    if (this === info.base || this === info.cls) {
      return true;
    }
    if (
      info.cls === info.base &&
      Object.prototype.isPrototypeOf.call(info.base.prototype, this.prototype)
    ) {
      adopt(info, this);
      if (Object.getPrototypeOf(x) === info.base.prototype)
        Object.setPrototypeOf(x, this.prototype);
      return true;
    }
    // A class further down than the adopted one: ordinary prototype rules.
    return Function.prototype[Symbol.hasInstance].call(this, x);
  };
}

const NO_FIELDS: Readonly<Record<string, unknown>> = Object.freeze({});

type Fields = Readonly<Record<string, unknown>> | undefined | null;

/** The parameters of the generated class factory, which the class name must not shadow. */
const FACTORY_PARAMS = ['Message', 'NO_FIELDS', 'construct', 'info'];

/**
 * A JavaScript identifier for the class of `typeName`: its last dotted part,
 * e.g. `Hello` for `demo.Hello`. (Setting `name` afterwards to the full type
 * name would be nicer in logs, but makes V8 construct instances several times
 * slower.)
 */
function classIdentifier(typeName: string): string {
  let id = typeName.slice(typeName.lastIndexOf('.') + 1).replace(/[^\w$]/g, '_');
  if (!/^[A-Za-z_$]/.test(id)) id = `_${id}`;
  return FACTORY_PARAMS.includes(id) ? `${id}_` : id;
}

function generatedClass(info: MessageInfo, names: readonly string[]): new (f: Fields) => Message {
  const typeName = info.typeName;
  const assign = names.map((n) => `this[${JSON.stringify(n)}] = f[${JSON.stringify(n)}];`);
  const source = (id: string) => `"use strict";
return class ${id} extends Message {
  constructor(f) {
    if (new.target !== info.cls) construct(info, new.target);
    super();
    if (f == null) f = NO_FIELDS;
    ${assign.join('\n    ')}
  }
};`;
  const make = (id: string) =>
    new Function(...FACTORY_PARAMS, source(id))(Message, NO_FIELDS, construct, info) as new (
      f: Fields,
    ) => Message;
  try {
    return make(classIdentifier(typeName));
  } catch {
    // the identifier is a reserved word, e.g. `demo.class`
    return make('MessageClass');
  }
}

function closureClass(info: MessageInfo, names: readonly string[]): new (f: Fields) => Message {
  const n = names.length;
  const M = class extends Message {
    constructor(f: Fields) {
      if (new.target !== info.cls) construct(info, new.target as MessageClass);
      super();
      const from = (f ?? NO_FIELDS) as Record<string, unknown>;
      const self = this as unknown as Record<string, unknown>;
      for (let i = 0; i < n; i++) {
        const name = names[i]!;
        self[name] = from[name];
      }
    }
  };
  return M;
}

function checkDescriptor(d: Descriptor, where: string): void {
  switch (d.kind) {
    case 'array':
      checkDescriptor(d.item, where);
      return;
    case 'map':
      checkDescriptor(d.key, where);
      checkDescriptor(d.value, where);
      return;
    case 'record':
      checkDescriptor(d.value, where);
      return;
    case 'optional':
      checkDescriptor(d.inner, where);
      return;
    case 'message': {
      const info = registry.get(d.cls.typeName);
      if (info === undefined || (d.cls !== info.base && d.cls !== info.cls)) {
        // A class that extends a registered one is adopted here.
        const inherited = (d.cls.prototype as { [INFO]?: MessageInfo } | undefined)?.[INFO];
        if (inherited === undefined || inherited !== info) {
          throw definitionError(`${where}: t.message() of a class that is not registered`);
        }
        adopt(info, d.cls);
      }
      return;
    }
    default:
      return;
  }
}

/**
 * Defines and registers a message type; a message class extends what it
 * returns, and that class is then what decoding builds, what `select` takes
 * and what `instanceof` narrows to, in both branches.
 *
 * The constructor takes the fields as one object (optional when no field is
 * required); the instance has exactly the schema's fields as own enumerable
 * properties, in schema order, with `undefined` for optional fields left out.
 * Fields are checked when the message is encoded, not when it is built.
 * One type name has one class: a second class extending the same definition
 * is refused with `ERR_DUPLICATE_MESSAGE_TYPE`.
 *
 * @param typeName the stable name the message is known by on the wire:
 *   1–255 printable ASCII characters without spaces, e.g. `'shop.Order'`.
 * @param schema field name → field type (see `t`). Fields are written in this
 *   order. `__proto__`, `constructor` and `then` are not allowed as names.
 * @throws CallsignError `ERR_DUPLICATE_MESSAGE_TYPE` when `typeName` is taken,
 *   `ERR_INVALID_MESSAGE` when the name or schema is not valid.
 *
 * @example
 * ```ts
 * export class Hello extends defineMessage('demo.Hello', { text: t.string }) {}
 *
 * const m = new Hello({ text: 'hi' });
 * ```
 */
export function defineMessage<const N extends string, const S extends Schema>(
  typeName: N,
  schema: S,
): DefinedMessageClass<S, N> {
  if (typeof typeName !== 'string' || !TYPE_NAME.test(typeName)) {
    throw definitionError(
      `type name ${JSON.stringify(typeName)} must be 1-255 printable ASCII characters without spaces`,
    );
  }
  if (registry.has(typeName)) {
    throw new CallsignError(
      'ERR_DUPLICATE_MESSAGE_TYPE',
      `a message type named ${typeName} is already defined`,
    );
  }
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
    throw definitionError(`${typeName}: the schema must be an object of field types`);
  }
  const names = Object.keys(schema);
  const fields: Descriptor[] = [];
  for (const name of names) {
    if (RESERVED_FIELDS.has(name))
      throw definitionError(`${typeName}: field name ${name} is reserved`);
    const f = schema[name];
    if (!isFieldType(f)) {
      throw definitionError(`${typeName}.${name} must be a field type from \`t\``);
    }
    const d = descriptorOf(f);
    checkDescriptor(d, `${typeName}.${name}`);
    fields.push(d);
  }
  const frozen = Object.freeze({ ...schema });

  const generated = canGenerateCode();

  const header = new Uint8Array(typeName.length + 2);
  let at = 0;
  if (typeName.length > 0x7f) {
    header[at++] = (typeName.length & 0x7f) | 0x80;
    header[at++] = typeName.length >> 7;
  } else {
    header[at++] = typeName.length;
  }
  for (let i = 0; i < typeName.length; i++) header[at++] = typeName.charCodeAt(i);

  const info: MessageInfo = {
    cls: undefined as unknown as MessageClass,
    base: undefined as unknown as MessageClass,
    typeName,
    schema: frozen,
    names: Object.freeze(names),
    fields: Object.freeze(fields),
    header: header.subarray(0, at),
    generated,
    encode: undefined,
    decode: undefined,
  };
  const cls = (generated
    ? generatedClass(info, names)
    : closureClass(info, names)) as unknown as MessageClass;
  info.cls = cls;
  (info as { base: MessageClass }).base = cls;
  Object.defineProperty(cls, 'typeName', { value: typeName, enumerable: true });
  Object.defineProperty(cls, 'schema', { value: frozen, enumerable: true });
  Object.defineProperty(cls, Symbol.hasInstance, { value: hasInstance(info) });
  Object.defineProperty(cls.prototype, INFO, { value: info });
  registry.set(typeName, info);
  return cls as unknown as DefinedMessageClass<S, N>;
}

/** The class registered under `typeName`, if any. */
export function lookupMessage(typeName: string): MessageClass | undefined {
  return registry.get(typeName)?.cls;
}

/** True when `x` is an instance of a class made by {@link defineMessage}. */
export function isMessage(x: unknown): x is Message {
  return x instanceof Message && (x as unknown as { [INFO]?: MessageInfo })[INFO] !== undefined;
}

/** @internal What the registry knows about `m`'s class; undefined when `m` is not a message. */
export function infoOf(m: unknown): MessageInfo | undefined {
  return m instanceof Message ? (m as unknown as { [INFO]?: MessageInfo })[INFO] : undefined;
}

/** @internal What the registry knows about the class registered under `typeName`. */
export function infoByName(typeName: string): MessageInfo | undefined {
  return registry.get(typeName);
}

/**
 * @internal What the registry knows about message class `cls` (a class that
 * extends what `defineMessage` returned is adopted here, so that decoding
 * builds it from now on).
 */
export function infoOfClass(cls: MessageClass): MessageInfo {
  const info = (cls.prototype as { [INFO]?: MessageInfo } | undefined)?.[INFO];
  if (info === undefined) {
    throw new CallsignError('ERR_INVALID_MESSAGE', 'not a class made by defineMessage');
  }
  if (cls !== info.cls) adopt(info, cls);
  return info;
}

function mustInfo(m: Message): MessageInfo {
  const info = infoOf(m);
  if (info === undefined) {
    throw new CallsignError(
      'ERR_INVALID_MESSAGE',
      'not an instance of a class made by defineMessage',
    );
  }
  return info;
}

/**
 * The class of message `m`, as registered.
 * @throws CallsignError `ERR_INVALID_MESSAGE` when `m` is not a message.
 */
export function messageClassOf(m: Message): MessageClass {
  return mustInfo(m).cls;
}

/**
 * The type name of message `m`.
 * @throws CallsignError `ERR_INVALID_MESSAGE` when `m` is not a message.
 */
export function typeNameOf(m: Message): string {
  return mustInfo(m).typeName;
}
