import { CallsignError, type WireErrorCode } from '../errors.ts';
import type { Address } from './address.ts';
import type { MessageClass } from './registry.ts';

/**
 * Field types: the values of a message schema. Each one says what a field
 * holds, how it is checked when a message is encoded and how it is written on
 * the wire (see `docs/messages.md`).
 *
 * @example
 * ```ts
 * const Order = defineMessage('shop.Order', {
 *   id: t.uint,
 *   items: t.array(t.string),
 *   note: t.optional(t.string),
 * });
 * ```
 *
 * @module
 */

declare const valueType: unique symbol;

/** The kinds of field type, one per member of {@link t}. */
export type FieldKind =
  | 'string'
  | 'bool'
  | 'int'
  | 'uint'
  | 'float'
  | 'bigint'
  | 'bytes'
  | 'date'
  | 'any'
  | 'address'
  | 'array'
  | 'map'
  | 'record'
  | 'message'
  | 'optional'
  | 'enum';

/**
 * Describes one field of a message: what it holds and how it is encoded.
 * Made only by the members of {@link t}; `T` is the TypeScript type of the
 * field's values.
 */
export interface FieldType<T> {
  readonly kind: FieldKind;
  /** The fewest bytes a value of this type takes on the wire. */
  readonly minSize: number;
  /** Type-level only, never present at run time. */
  readonly [valueType]?: T;
}

/** A field that may be left out; see {@link t.optional}. */
export interface OptionalFieldType<T> extends FieldType<T | undefined> {
  readonly kind: 'optional';
  readonly inner: FieldType<T>;
}

/** A message's fields: field name → field type. */
export type Schema = Record<string, FieldType<unknown>>;

/** The TypeScript type of the values of field type `F`. */
export type ValueOf<F> = F extends FieldType<infer T> ? T : never;

type OptionalKeys<S extends Schema> = {
  [K in keyof S]: S[K] extends { readonly kind: 'optional' } ? K : never;
}[keyof S];

/** The names of the fields of `S` that must be given. */
export type RequiredKeys<S extends Schema> = Exclude<keyof S, OptionalKeys<S>>;

type Simplify<T> = { [K in keyof T]: T[K] } & {};

/**
 * The object type described by schema `S`: one property per field, with
 * {@link t.optional} fields as optional (`?:`) properties.
 *
 * @example
 * ```ts
 * type Order = Infer<{ id: typeof t.uint; note: OptionalFieldType<string> }>;
 * // { id: number; note?: string | undefined }
 * ```
 */
export type Infer<S extends Schema> = Simplify<
  { [K in RequiredKeys<S>]: ValueOf<S[K]> } & { [K in OptionalKeys<S>]?: ValueOf<S[K]> }
>;

// ---------------------------------------------------------------------------
// Run-time descriptors. Field types are frozen plain objects; the codec reads
// them through this union.

/** @internal */
export type Descriptor =
  | {
      readonly kind:
        | 'string'
        | 'bool'
        | 'int'
        | 'uint'
        | 'float'
        | 'bigint'
        | 'bytes'
        | 'date'
        | 'any'
        | 'address';
      readonly minSize: number;
    }
  | { readonly kind: 'array'; readonly minSize: number; readonly item: Descriptor }
  | {
      readonly kind: 'map';
      readonly minSize: number;
      readonly key: Descriptor;
      readonly value: Descriptor;
    }
  | { readonly kind: 'record'; readonly minSize: number; readonly value: Descriptor }
  | { readonly kind: 'message'; readonly minSize: number; readonly cls: MessageClass }
  | { readonly kind: 'optional'; readonly minSize: number; readonly inner: Descriptor }
  | { readonly kind: 'enum'; readonly minSize: number; readonly values: readonly string[] };

const descriptors = new WeakSet<object>();

function make<T>(d: Descriptor): FieldType<T> {
  Object.freeze(d);
  descriptors.add(d);
  return d as unknown as FieldType<T>;
}

function definitionError(text: string): CallsignError {
  return new CallsignError('ERR_INVALID_MESSAGE', `invalid message definition: ${text}`);
}

/** True when `x` is a field type made by {@link t}. */
export function isFieldType(x: unknown): x is FieldType<unknown> {
  return typeof x === 'object' && x !== null && descriptors.has(x);
}

/** @internal The run-time descriptor of a field type. */
export function descriptorOf(f: FieldType<unknown>): Descriptor {
  return f as unknown as Descriptor;
}

function field(f: unknown, where: string): Descriptor {
  if (!isFieldType(f)) throw definitionError(`${where} must be a field type from \`t\``);
  return descriptorOf(f);
}

/** The fewest bytes the fields of `schema` take, together. */
export function schemaMinSize(schema: Schema): number {
  let size = 0;
  for (const key of Object.keys(schema)) size += field(schema[key], `field ${key}`).minSize;
  return size;
}

function item(f: unknown, where: string): Descriptor {
  const d = field(f, where);
  if (d.minSize === 0) {
    // A container of zero-byte items could announce any count in one byte.
    throw definitionError(
      `${where} must take at least one byte on the wire; a message without fields cannot be an item`,
    );
  }
  return d;
}

const KEY_KINDS = new Set<FieldKind>(['string', 'int', 'uint', 'float', 'enum']);

const stringType = make<string>({ kind: 'string', minSize: 1 });
const boolType = make<boolean>({ kind: 'bool', minSize: 1 });
const intType = make<number>({ kind: 'int', minSize: 1 });
const uintType = make<number>({ kind: 'uint', minSize: 1 });
const floatType = make<number>({ kind: 'float', minSize: 8 });
const bigintType = make<bigint>({ kind: 'bigint', minSize: 8 });
const bytesType = make<Uint8Array>({ kind: 'bytes', minSize: 1 });
const dateType = make<Date>({ kind: 'date', minSize: 1 });
const anyType = make<unknown>({ kind: 'any', minSize: 1 });
const addressType = make<Address>({ kind: 'address', minSize: 1 });
// On the wire an error code is a string: a code added by a newer version
// decodes as it is, where an enum would fail or, worse, renumber.
const errorCodeType = make<WireErrorCode>({ kind: 'string', minSize: 1 });

/**
 * The field types. Every field of a schema is one of these.
 *
 * | type | TypeScript | wire |
 * |---|---|---|
 * | `t.string` | `string` | varuint byte length + UTF-8 |
 * | `t.bool` | `boolean` | 1 byte, 0 or 1 |
 * | `t.int` | `number` (safe integer) | zigzag varint |
 * | `t.uint` | `number` (non-negative safe integer) | varuint |
 * | `t.float` | `number` | 8 bytes, IEEE 754 |
 * | `t.bigint` | `bigint` (-2^63 … 2^63-1) | 8 bytes, two's complement |
 * | `t.bytes` | `Uint8Array` | varuint length + bytes |
 * | `t.date` | `Date` (valid) | zigzag varint of milliseconds |
 * | `t.any` | `unknown` (JSON-like) | 1 tag byte + value |
 * | `t.address` | `Address` | the context's `AddressCodec` |
 * | `t.errorCode` | `WireErrorCode` | as `t.string` |
 * | `t.array(T)` | `T[]` | varuint count + items |
 * | `t.map(K, V)` | `Map<K, V>` | varuint count + key/value pairs |
 * | `t.record(V)` | `Record<string, V>` | varuint count + key/value pairs |
 * | `t.message(C)` | an instance of `C` | the fields of `C` |
 * | `t.optional(T)` | `T \| undefined` | 1 byte (0 absent, 1 present) + value |
 * | `t.enumOf([...])` | one of the strings | varuint index |
 */
export const t = {
  /** A string, as UTF-8. Lone surrogates are replaced by U+FFFD. */
  string: stringType,
  /** `true` or `false`. */
  bool: boolType,
  /** A safe integer (`Number.isSafeInteger`), as a zigzag varint. `-0` decodes as `0`. */
  int: intType,
  /** A non-negative safe integer, as a varuint. */
  uint: uintType,
  /** Any number, as a 64-bit float (NaN, ±Infinity and -0 are kept). */
  float: floatType,
  /** A bigint from -2^63 to 2^63-1, as 8 bytes. */
  bigint: bigintType,
  /** A `Uint8Array` (a `Buffer` is accepted); decodes as a fresh `Uint8Array`. */
  bytes: bytesType,
  /** A valid `Date`, as milliseconds since the epoch. */
  date: dateType,
  /**
   * A dynamic value: `undefined`, `null`, booleans, numbers, strings,
   * `Uint8Array`, `Date`, arrays, plain objects, addresses and registered
   * message instances, nested. Anything else (Map, class instances,
   * functions, symbols, bigint) is rejected when encoding.
   */
  any: anyType,
  /** An {@link Address}, written and read by the `AddressCodec` of the codec context. */
  address: addressType,
  /**
   * A stable error code (`ERR_...`, src/errors.ts). Written as a string: a
   * message is built only with a code this version lists, and a newer peer's
   * code decodes without failing (see `WireErrorCode`, `isErrorCode`).
   */
  errorCode: errorCodeType,

  /** An array of `item`. */
  array<T>(itemType: FieldType<T>): FieldType<T[]> {
    return make<T[]>({ kind: 'array', minSize: 1, item: item(itemType, 'an array item') });
  },

  /** A `Map`; keys are strings, integers, floats or enum values. */
  map<K extends string | number, V>(
    keyType: FieldType<K>,
    valueType: FieldType<V>,
  ): FieldType<Map<K, V>> {
    const key = field(keyType, 'a map key');
    if (!KEY_KINDS.has(key.kind)) {
      throw definitionError(`a map key must be t.string, t.int, t.uint, t.float or t.enumOf`);
    }
    return make<Map<K, V>>({
      kind: 'map',
      minSize: 1,
      key,
      value: item(valueType, 'a map value'),
    });
  },

  /** A plain object with string keys and values of one type. */
  record<V>(valueType: FieldType<V>): FieldType<Record<string, V>> {
    return make<Record<string, V>>({
      kind: 'record',
      minSize: 1,
      value: item(valueType, 'a record value'),
    });
  },

  /** An instance of the registered message class `cls`, written without its type name. */
  message<C extends MessageClass>(cls: C): FieldType<InstanceType<C>> {
    if (
      typeof cls !== 'function' ||
      typeof cls.typeName !== 'string' ||
      typeof cls.schema !== 'object' ||
      cls.schema === null
    ) {
      throw definitionError('t.message() takes a class made by defineMessage');
    }
    return make<InstanceType<C>>({ kind: 'message', minSize: schemaMinSize(cls.schema), cls });
  },

  /**
   * A field that may be `undefined`; in the constructor its key may be left
   * out. Written as one byte (0 absent, 1 present) and the value.
   */
  optional<T>(inner: FieldType<T>): OptionalFieldType<T> {
    const d = field(inner, 't.optional()');
    if (d.kind === 'optional') throw definitionError('t.optional(t.optional(...)) is not allowed');
    return make<T | undefined>({ kind: 'optional', minSize: 1, inner: d }) as OptionalFieldType<T>;
  },

  /** One of the given strings, written as its index. */
  enumOf<const V extends readonly string[]>(values: V): FieldType<V[number]> {
    if (!Array.isArray(values) || values.length === 0) {
      throw definitionError('t.enumOf() takes a non-empty array of strings');
    }
    const seen = new Set<string>();
    for (const v of values) {
      if (typeof v !== 'string') throw definitionError('t.enumOf() values must be strings');
      if (seen.has(v)) throw definitionError(`t.enumOf() value ${JSON.stringify(v)} is repeated`);
      seen.add(v);
    }
    return make<V[number]>({ kind: 'enum', minSize: 1, values: Object.freeze([...values]) });
  },
} as const;
