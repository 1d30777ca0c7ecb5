import { CallsignError } from '../errors.ts';
import { type AddressCodec, isAddress } from './address.ts';
import { copyBytes, describe, Reader, Writer } from './binary.ts';
import {
  type FieldsDecoder,
  type FieldsEncoder,
  infoByName,
  infoOf,
  infoOfClass,
  type Message,
  type MessageInfo,
} from './registry.ts';
import type { Descriptor } from './schema.ts';

/**
 * The binary message codec. A message is written as its type name
 * (varuint length + ASCII) followed by its fields in schema order, each in the
 * encoding of its field type; there are no field names or tags except inside
 * `t.any` values. Both sides must have the same schema for a type name.
 *
 * Per-class encoders and decoders are compiled on first use: straight-line
 * functions made with `new Function` (the field names are embedded as string
 * literals), or loops over per-field closures where code generation from
 * strings is disallowed.
 *
 * @module
 */

/** Options for encoding and decoding. */
export interface CodecContext {
  /** Writes and reads addresses (`t.address` fields and addresses in `t.any`). */
  addresses?: AddressCodec;
  /**
   * How deeply values may nest: each nested message, array, map, record and
   * `t.any` array or object is one level. Default 32.
   */
  maxDepth?: number;
  /**
   * Decode `t.bytes` fields of at least 1 KiB as views of the input rather
   * than copies, when they are at least a quarter of the input's buffer (so a
   * kept view never holds more than four times its own size). For inputs
   * that nobody reuses, such as a decrypted frame. Default false.
   */
  viewBytes?: boolean;
  /**
   * How a message's type is written and read at its start: by default its
   * name; a connection gives a table of small ids it agreed with its peer.
   */
  types?: TypeTable;
}

/** Writes and reads the type of a top-level message (see {@link CodecContext.types}). */
export interface TypeTable {
  write(w: Writer, info: MessageInfo): void;
  /** @throws CallsignError ERR_UNKNOWN_MESSAGE or ERR_MALFORMED_MESSAGE. */
  read(r: Reader): MessageInfo;
}

const DEFAULT_MAX_DEPTH = 32;
/** The largest time value a Date can hold, in ms either side of the epoch. */
const MAX_DATE = 8.64e15;

type Enc = (w: Writer, v: unknown, ctx: CodecContext | undefined, left: number) => void;
type Dec = (r: Reader, ctx: CodecContext | undefined, left: number) => unknown;

// ---------------------------------------------------------------------------
// Errors

/** An encoding failure on its way up to the message, collecting the field path. */
class InvalidValue extends Error {
  /** Innermost segment first. */
  readonly path: string[] = [];
}

function bad(expected: string, v: unknown): InvalidValue {
  return new InvalidValue(`expected ${expected}, got ${describe(v)}`);
}

function tooDeep(): InvalidValue {
  return new InvalidValue('nested deeper than the maxDepth of the codec context');
}

/** Adds `segment` to the path of an encoding failure. */
function atPath(e: unknown, segment: string): unknown {
  let iv: InvalidValue;
  if (e instanceof InvalidValue) {
    iv = e;
  } else if (e instanceof CallsignError && e.code !== 'ERR_INVALID_MESSAGE') {
    return e; // e.g. ERR_MESSAGE_TOO_LARGE: not about this field
  } else {
    iv = new InvalidValue(e instanceof Error ? e.message : String(e), { cause: e });
  }
  iv.path.push(segment);
  return iv;
}

function formatPath(path: readonly string[]): string {
  let s = '';
  for (let i = path.length - 1; i >= 0; i--) {
    const seg = path[i]!;
    s += seg.startsWith('[') || s === '' ? seg : `.${seg}`;
  }
  return s;
}

function encodeError(e: unknown, info: MessageInfo): unknown {
  if (e instanceof InvalidValue) {
    return new CallsignError(
      'ERR_INVALID_MESSAGE',
      `cannot encode ${info.typeName}: field ${formatPath(e.path)}: ${e.message}`,
      e.cause === undefined ? undefined : { cause: e.cause },
    );
  }
  if (e instanceof CallsignError) return e;
  return new CallsignError(
    'ERR_INVALID_MESSAGE',
    `cannot encode ${info.typeName}: ${e instanceof Error ? e.message : String(e)}`,
    { cause: e },
  );
}

function malformed(text: string): CallsignError {
  return new CallsignError('ERR_MALFORMED_MESSAGE', text);
}

/** A path segment for a Map key: `[1]`, `["a b"]`. */
function keySegment(k: unknown): string {
  return `[${typeof k === 'string' ? JSON.stringify(k) : String(k)}]`;
}

/** A path segment for an object key: `name`, or `["a b"]` when it is not an identifier. */
function propSegment(k: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(k) ? k : keySegment(k);
}

// ---------------------------------------------------------------------------
// Field encoders and decoders (closures), one per field type

function isPlainObject(v: object): boolean {
  const p = Object.getPrototypeOf(v);
  return p === Object.prototype || p === null;
}

/** Sets `o[k]`, as an own property even when `k` is `__proto__`. */
function setKey(o: Record<string, unknown>, k: string, v: unknown): void {
  if (k === '__proto__') {
    Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  } else {
    o[k] = v;
  }
}

const encString: Enc = (w, v) => {
  if (typeof v !== 'string') throw bad('a string', v);
  w.string(v);
};
const encBool: Enc = (w, v) => {
  if (v === true) w.u8(1);
  else if (v === false) w.u8(0);
  else throw bad('a boolean', v);
};
const encInt: Enc = (w, v) => {
  if (!Number.isSafeInteger(v)) throw bad('a safe integer', v);
  w.varint(v as number);
};
const encUint: Enc = (w, v) => {
  if (!Number.isSafeInteger(v) || (v as number) < 0) throw bad('a non-negative safe integer', v);
  w.varuint(v as number);
};
const encFloat: Enc = (w, v) => {
  if (typeof v !== 'number') throw bad('a number', v);
  w.f64(v);
};
const encBigint: Enc = (w, v) => {
  if (typeof v !== 'bigint' || v < -(2n ** 63n) || v >= 2n ** 63n) {
    throw bad('a bigint from -2^63 to 2^63-1', v);
  }
  w.i64(v);
};
const encBytes: Enc = (w, v) => {
  if (!(v instanceof Uint8Array)) throw bad('a Uint8Array', v);
  w.bytes(v);
};
const encDate: Enc = (w, v) => {
  if (!(v instanceof Date)) throw bad('a Date', v);
  const ms = v.getTime();
  if (Number.isNaN(ms)) throw bad('a valid Date', v);
  w.varint(ms);
};
const encAddress: Enc = (w, v, ctx) => {
  if (!isAddress(v)) throw bad('an Address', v);
  const codec = ctx?.addresses;
  if (codec === undefined) {
    throw new InvalidValue('an address needs an AddressCodec in the codec context');
  }
  const start = w.length;
  codec.write(w, v);
  if (w.length === start) throw new InvalidValue('the AddressCodec wrote no bytes');
};

const decString: Dec = (r) => r.string();
const decBool: Dec = (r) => {
  const b = r.u8();
  if (b > 1) throw malformed(`a boolean must be 0 or 1, got ${b}`);
  return b === 1;
};
const decInt: Dec = (r) => r.varint();
const decUint: Dec = (r) => r.varuint();
const decFloat: Dec = (r) => r.f64();
const decBigint: Dec = (r) => r.i64();
/** `t.bytes` fields shorter than this are always copied (into a shared slab: cheaper than a view). */
const VIEW_MIN = 1024;
const decBytes: Dec = (r, ctx) => {
  const v = r.bytes();
  if (ctx?.viewBytes === true && v.length >= VIEW_MIN && v.length * 4 >= v.buffer.byteLength) {
    return v;
  }
  return copyBytes(v);
};
const decDate: Dec = (r) => {
  const ms = r.varint();
  if (ms > MAX_DATE || ms < -MAX_DATE) throw malformed(`date ${ms} ms is out of range`);
  return new Date(ms);
};
const decAddress: Dec = (r, ctx) => {
  const codec = ctx?.addresses;
  if (codec === undefined) {
    throw malformed('an address arrived, but there is no AddressCodec in the codec context');
  }
  const start = r.offset;
  let a: unknown;
  try {
    a = codec.read(r);
  } catch (e) {
    if (e instanceof CallsignError) throw e;
    throw new CallsignError('ERR_MALFORMED_MESSAGE', 'the AddressCodec could not read an address', {
      cause: e,
    });
  }
  if (r.offset === start) throw malformed('the AddressCodec read no bytes');
  if (!isAddress(a)) throw malformed('the AddressCodec returned something that is not an Address');
  return a;
};

// `t.any`: one tag byte, then the value.
const A_UNDEFINED = 0;
const A_NULL = 1;
const A_FALSE = 2;
const A_TRUE = 3;
const A_INT = 4;
const A_FLOAT = 5;
const A_STRING = 6;
const A_BYTES = 7;
const A_DATE = 8;
const A_ARRAY = 9;
const A_OBJECT = 10;
const A_MESSAGE = 11;
const A_ADDRESS = 12;

const encAny: Enc = (w, v, ctx, left) => {
  switch (typeof v) {
    case 'string':
      w.u8(A_STRING);
      w.string(v);
      return;
    case 'number':
      if (Number.isSafeInteger(v) && !Object.is(v, -0)) {
        w.u8(A_INT);
        w.varint(v);
      } else {
        w.u8(A_FLOAT);
        w.f64(v);
      }
      return;
    case 'boolean':
      w.u8(v ? A_TRUE : A_FALSE);
      return;
    case 'undefined':
      w.u8(A_UNDEFINED);
      return;
    case 'object': {
      if (v === null) {
        w.u8(A_NULL);
        return;
      }
      if (Array.isArray(v)) {
        if (left <= 0) throw tooDeep();
        w.u8(A_ARRAY);
        w.varuint(v.length);
        let i = 0;
        try {
          for (; i < v.length; i++) encAny(w, v[i], ctx, left - 1);
        } catch (e) {
          throw atPath(e, `[${i}]`);
        }
        return;
      }
      if (v instanceof Uint8Array) {
        w.u8(A_BYTES);
        w.bytes(v);
        return;
      }
      if (v instanceof Date) {
        w.u8(A_DATE);
        encDate(w, v, ctx, left);
        return;
      }
      const info = infoOf(v);
      if (info !== undefined) {
        if (left <= 0) throw tooDeep();
        w.u8(A_MESSAGE);
        w.raw(info.header);
        encoderOf(info)(w, v as Message, ctx, left - 1);
        return;
      }
      if (isAddress(v)) {
        w.u8(A_ADDRESS);
        encAddress(w, v, ctx, left);
        return;
      }
      if (isPlainObject(v)) {
        if (left <= 0) throw tooDeep();
        const o = v as Record<string, unknown>;
        const keys = Object.keys(o);
        w.u8(A_OBJECT);
        w.varuint(keys.length);
        let k = '';
        try {
          for (k of keys) {
            w.string(k);
            encAny(w, o[k], ctx, left - 1);
          }
        } catch (e) {
          throw atPath(e, propSegment(k));
        }
        return;
      }
      throw bad('a JSON-like value', v);
    }
    default:
      throw bad('a JSON-like value', v);
  }
};

const decAny: Dec = (r, ctx, left) => {
  const tag = r.u8();
  switch (tag) {
    case A_UNDEFINED:
      return undefined;
    case A_NULL:
      return null;
    case A_FALSE:
      return false;
    case A_TRUE:
      return true;
    case A_INT:
      return r.varint();
    case A_FLOAT:
      return r.f64();
    case A_STRING:
      return r.string();
    case A_BYTES:
      return copyBytes(r.bytes());
    case A_DATE:
      return decDate(r, ctx, left);
    case A_ARRAY: {
      if (left <= 0) throw malformed('nested deeper than maxDepth');
      const n = r.varuint();
      if (n > r.remaining)
        throw malformed(`array of ${n} items announced, ${r.remaining} bytes remain`);
      const a: unknown[] = [];
      for (let i = 0; i < n; i++) a.push(decAny(r, ctx, left - 1));
      return a;
    }
    case A_OBJECT: {
      if (left <= 0) throw malformed('nested deeper than maxDepth');
      const n = r.varuint();
      if (n * 2 > r.remaining) {
        throw malformed(`object of ${n} keys announced, ${r.remaining} bytes remain`);
      }
      const o: Record<string, unknown> = {};
      for (let i = 0; i < n; i++) {
        const k = r.string();
        if (Object.hasOwn(o, k)) throw malformed(`key ${JSON.stringify(k)} repeated`);
        setKey(o, k, decAny(r, ctx, left - 1));
      }
      return o;
    }
    case A_MESSAGE:
      if (left <= 0) throw malformed('nested deeper than maxDepth');
      return readNested(r, ctx, left - 1);
    case A_ADDRESS:
      return decAddress(r, ctx, left);
    default:
      throw malformed(`unknown value tag ${tag}`);
  }
};

const encoders = new WeakMap<Descriptor, Enc>();
const decoders = new WeakMap<Descriptor, Dec>();

function fieldEncoder(d: Descriptor): Enc {
  let enc = encoders.get(d);
  if (enc === undefined) {
    enc = makeEncoder(d);
    encoders.set(d, enc);
  }
  return enc;
}

function fieldDecoder(d: Descriptor): Dec {
  let dec = decoders.get(d);
  if (dec === undefined) {
    dec = makeDecoder(d);
    decoders.set(d, dec);
  }
  return dec;
}

function makeEncoder(d: Descriptor): Enc {
  switch (d.kind) {
    case 'string':
      return encString;
    case 'bool':
      return encBool;
    case 'int':
      return encInt;
    case 'uint':
      return encUint;
    case 'float':
      return encFloat;
    case 'bigint':
      return encBigint;
    case 'bytes':
      return encBytes;
    case 'date':
      return encDate;
    case 'any':
      return encAny;
    case 'address':
      return encAddress;
    case 'array': {
      const item = fieldEncoder(d.item);
      return (w, v, ctx, left) => {
        if (!Array.isArray(v)) throw bad('an array', v);
        if (left <= 0) throw tooDeep();
        const n = v.length;
        w.varuint(n);
        let i = 0;
        try {
          for (; i < n; i++) item(w, v[i], ctx, left - 1);
        } catch (e) {
          throw atPath(e, `[${i}]`);
        }
      };
    }
    case 'map': {
      const key = fieldEncoder(d.key);
      const value = fieldEncoder(d.value);
      return (w, v, ctx, left) => {
        if (!(v instanceof Map)) throw bad('a Map', v);
        if (left <= 0) throw tooDeep();
        w.varuint(v.size);
        let at: unknown;
        try {
          for (const [k, x] of v) {
            at = k;
            key(w, k, ctx, left - 1);
            value(w, x, ctx, left - 1);
          }
        } catch (e) {
          throw atPath(e, keySegment(at));
        }
      };
    }
    case 'record': {
      const value = fieldEncoder(d.value);
      return (w, v, ctx, left) => {
        if (typeof v !== 'object' || v === null || Array.isArray(v) || !isPlainObject(v)) {
          throw bad('a plain object', v);
        }
        if (left <= 0) throw tooDeep();
        const o = v as Record<string, unknown>;
        const keys = Object.keys(o);
        w.varuint(keys.length);
        let k = '';
        try {
          for (k of keys) {
            w.string(k);
            value(w, o[k], ctx, left - 1);
          }
        } catch (e) {
          throw atPath(e, propSegment(k));
        }
      };
    }
    case 'message': {
      const cls = d.cls;
      const fields = encoderOf(infoOfClass(cls));
      const expected = `a ${cls.typeName}`;
      return (w, v, ctx, left) => {
        if (!(v instanceof cls)) throw bad(expected, v);
        if (left <= 0) throw tooDeep();
        fields(w, v, ctx, left - 1);
      };
    }
    case 'optional': {
      const inner = fieldEncoder(d.inner);
      return (w, v, ctx, left) => {
        if (v === undefined) {
          w.u8(0);
        } else {
          w.u8(1);
          inner(w, v, ctx, left);
        }
      };
    }
    case 'enum': {
      const index = new Map(d.values.map((v, i) => [v, i]));
      const expected = `one of ${d.values.map((v) => JSON.stringify(v)).join(', ')}`;
      return (w, v) => {
        const i = index.get(v as string);
        if (i === undefined) throw bad(expected, v);
        w.varuint(i);
      };
    }
  }
}

function makeDecoder(d: Descriptor): Dec {
  switch (d.kind) {
    case 'string':
      return decString;
    case 'bool':
      return decBool;
    case 'int':
      return decInt;
    case 'uint':
      return decUint;
    case 'float':
      return decFloat;
    case 'bigint':
      return decBigint;
    case 'bytes':
      return decBytes;
    case 'date':
      return decDate;
    case 'any':
      return decAny;
    case 'address':
      return decAddress;
    case 'array': {
      const item = fieldDecoder(d.item);
      const min = d.item.minSize;
      return (r, ctx, left) => {
        if (left <= 0) throw malformed('nested deeper than maxDepth');
        const n = r.varuint();
        if (n * min > r.remaining) {
          throw malformed(`array of ${n} items announced, ${r.remaining} bytes remain`);
        }
        const a: unknown[] = [];
        for (let i = 0; i < n; i++) a.push(item(r, ctx, left - 1));
        return a;
      };
    }
    case 'map': {
      const key = fieldDecoder(d.key);
      const value = fieldDecoder(d.value);
      const min = d.key.minSize + d.value.minSize;
      return (r, ctx, left) => {
        if (left <= 0) throw malformed('nested deeper than maxDepth');
        const n = r.varuint();
        if (n * min > r.remaining) {
          throw malformed(`map of ${n} entries announced, ${r.remaining} bytes remain`);
        }
        const m = new Map<unknown, unknown>();
        for (let i = 0; i < n; i++) {
          const k = key(r, ctx, left - 1);
          m.set(k, value(r, ctx, left - 1));
          if (m.size !== i + 1) throw malformed(`map key ${keySegment(k)} repeated`);
        }
        return m;
      };
    }
    case 'record': {
      const value = fieldDecoder(d.value);
      const min = 1 + d.value.minSize;
      return (r, ctx, left) => {
        if (left <= 0) throw malformed('nested deeper than maxDepth');
        const n = r.varuint();
        if (n * min > r.remaining) {
          throw malformed(`record of ${n} entries announced, ${r.remaining} bytes remain`);
        }
        const o: Record<string, unknown> = {};
        for (let i = 0; i < n; i++) {
          const k = r.string();
          if (Object.hasOwn(o, k)) throw malformed(`record key ${JSON.stringify(k)} repeated`);
          setKey(o, k, value(r, ctx, left - 1));
        }
        return o;
      };
    }
    case 'message': {
      const fields = decoderOf(infoOfClass(d.cls));
      return (r, ctx, left) => {
        if (left <= 0) throw malformed('nested deeper than maxDepth');
        return fields(r, ctx, left - 1);
      };
    }
    case 'optional': {
      const inner = fieldDecoder(d.inner);
      return (r, ctx, left) => {
        const b = r.u8();
        if (b === 0) return undefined;
        if (b !== 1) throw malformed(`an optional field must start with 0 or 1, got ${b}`);
        return inner(r, ctx, left);
      };
    }
    case 'enum': {
      const values = d.values;
      return (r) => {
        const i = r.varuint();
        const v = values[i];
        if (v === undefined)
          throw malformed(`enum index ${i} out of range (${values.length} values)`);
        return v;
      };
    }
  }
}

// ---------------------------------------------------------------------------
// Per-class encoders and decoders

/** Code for fields of a primitive kind, given the value in `v`: [test, write, expected]. */
const INLINE_ENCODE: Partial<Record<Descriptor['kind'], readonly [string, string, string]>> = {
  string: ['typeof v === "string"', 'w.string(v);', 'a string'],
  int: ['Number.isSafeInteger(v)', 'w.varint(v);', 'a safe integer'],
  uint: ['Number.isSafeInteger(v) && v >= 0', 'w.varuint(v);', 'a non-negative safe integer'],
  float: ['typeof v === "number"', 'w.f64(v);', 'a number'],
  bool: ['typeof v === "boolean"', 'w.u8(v ? 1 : 0);', 'a boolean'],
};

/** Code that reads a field of a primitive kind. */
const INLINE_DECODE: Partial<Record<Descriptor['kind'], string>> = {
  string: 'r.string()',
  int: 'r.varint()',
  uint: 'r.varuint()',
  float: 'r.f64()',
};

function generatedEncoder(info: MessageInfo): FieldsEncoder {
  const args: string[] = ['names', 'bad', 'atPath'];
  const values: unknown[] = [info.names, bad, atPath];
  const lines: string[] = [];
  info.fields.forEach((d, i) => {
    const get = `m[${JSON.stringify(info.names[i])}]`;
    lines.push(`f = ${i};`);
    const inline = INLINE_ENCODE[d.kind];
    const inner = d.kind === 'optional' ? INLINE_ENCODE[d.inner.kind] : undefined;
    if (inline !== undefined) {
      const [test, write, expected] = inline;
      lines.push(
        `v = ${get};`,
        `if (!(${test})) throw bad(${JSON.stringify(expected)}, v);`,
        write,
      );
    } else if (inner !== undefined) {
      const [test, write, expected] = inner;
      lines.push(
        `v = ${get};`,
        'if (v === undefined) w.u8(0);',
        `else if (${test}) { w.u8(1); ${write} }`,
        `else throw bad(${JSON.stringify(expected)}, v);`,
      );
    } else {
      args.push(`e${i}`);
      values.push(fieldEncoder(d));
      lines.push(`e${i}(w, ${get}, ctx, left);`);
    }
  });
  const body = `"use strict";
return function encodeFields(w, m, ctx, left) {
  let f = 0;
  let v;
  try {
    ${lines.join('\n    ')}
  } catch (e) {
    throw atPath(e, names[f]);
  }
};`;
  return new Function(...args, body)(...values) as FieldsEncoder;
}

function generatedDecoder(info: MessageInfo): FieldsDecoder {
  const args: string[] = ['C', 'B', 'construct'];
  const values: unknown[] = [info.cls, info.base, Reflect.construct];
  const lines: string[] = [];
  const props: string[] = [];
  info.fields.forEach((d, i) => {
    const inline = INLINE_DECODE[d.kind];
    if (inline !== undefined) {
      lines.push(`const v${i} = ${inline};`);
    } else {
      args.push(`d${i}`);
      values.push(fieldDecoder(d));
      lines.push(`const v${i} = d${i}(r, ctx, left);`);
    }
    props.push(`${JSON.stringify(info.names[i])}: v${i}`);
  });
  const body = `"use strict";
return function decodeFields(r, ctx, left) {
  ${lines.join('\n  ')}
  return ${buildsDirectly(info) ? `new C({ ${props.join(', ')} })` : `construct(B, [{ ${props.join(', ')} }], C)`};
};`;
  return new Function(...args, body)(...values) as FieldsDecoder;
}

function closureEncoder(info: MessageInfo): FieldsEncoder {
  const names = info.names;
  const encs = info.fields.map(fieldEncoder);
  const n = names.length;
  return (w, m, ctx, left) => {
    const o = m as unknown as Record<string, unknown>;
    let i = 0;
    try {
      for (; i < n; i++) encs[i]!(w, o[names[i]!], ctx, left);
    } catch (e) {
      throw atPath(e, names[i]!);
    }
  };
}

function closureDecoder(info: MessageInfo): FieldsDecoder {
  const names = info.names;
  const decs = info.fields.map(fieldDecoder);
  const n = names.length;
  const C = info.cls;
  const B = info.base;
  const direct = buildsDirectly(info);
  return (r, ctx, left) => {
    const o: Record<string, unknown> = {};
    for (let i = 0; i < n; i++) o[names[i]!] = decs[i]!(r, ctx, left);
    return direct ? new C(o) : (Reflect.construct(B, [o], C) as Message);
  };
}

/**
 * Whether decoding calls the message class's own constructor. A class that
 * only extends its definition has the default constructor, which does
 * nothing but call the definition's; decoding then calls that one directly,
 * with the class as `new.target` (the same instance, several times faster
 * where the class's `name` was redefined, as tsx does for every class). A
 * class with a constructor of its own is always built through it.
 */
function buildsDirectly(info: MessageInfo): boolean {
  if (info.cls === info.base) return true;
  return /\bconstructor\s*\(/.test(Function.prototype.toString.call(info.cls));
}

function encoderOf(info: MessageInfo): FieldsEncoder {
  if (info.encode === undefined) {
    info.encode = info.generated ? generatedEncoder(info) : closureEncoder(info);
  }
  return info.encode;
}

function decoderOf(info: MessageInfo): FieldsDecoder {
  if (info.decode === undefined) {
    info.decode = info.generated ? generatedDecoder(info) : closureDecoder(info);
  }
  return info.decode;
}

function depthOf(ctx: CodecContext | undefined): number {
  const d = ctx?.maxDepth;
  if (d === undefined) return DEFAULT_MAX_DEPTH;
  if (!Number.isSafeInteger(d) || d < 0) {
    throw new CallsignError(
      'ERR_INVALID_SETTINGS',
      `maxDepth must be a non-negative integer, got ${describe(d)}`,
    );
  }
  return d;
}

/** Reads a type name and the fields of that type; errors as they are. */
function readNested(r: Reader, ctx: CodecContext | undefined, left: number): Message {
  const name = r.string();
  const info = infoByName(name);
  if (info === undefined) {
    throw new CallsignError('ERR_UNKNOWN_MESSAGE', `unknown message type ${JSON.stringify(name)}`);
  }
  return (info.decode ?? decoderOf(info))(r, ctx, left);
}

// ---------------------------------------------------------------------------
// Public API

/**
 * Appends message `m` to `w`: its type name, then its fields. On failure
 * nothing is left in `w` (it is truncated back to its length before the call).
 *
 * @throws CallsignError `ERR_INVALID_MESSAGE` when `m` is not a message or a
 *   field does not hold a value of its type (the error names the type and the
 *   field); `ERR_MESSAGE_TOO_LARGE` when the buffer cannot grow.
 */
export function writeMessage(w: Writer, m: Message, ctx?: CodecContext): void {
  const info = infoOf(m);
  if (info === undefined) {
    throw new CallsignError(
      'ERR_INVALID_MESSAGE',
      `cannot encode ${describe(m)}: not an instance of a class made by defineMessage`,
    );
  }
  const left = depthOf(ctx);
  const start = w.length;
  try {
    const types = ctx?.types;
    if (types === undefined) w.raw(info.header);
    else types.write(w, info);
    (info.encode ?? encoderOf(info))(w, m, ctx, left);
  } catch (e) {
    w.truncate(start);
    throw encodeError(e, info);
  }
}

/**
 * Reads one message from `r` (its type name, then its fields), leaving `r`
 * just after it. Returns a complete instance or throws; nothing half-built
 * escapes.
 *
 * @throws CallsignError `ERR_UNKNOWN_MESSAGE` for a type name that is not
 *   registered; `ERR_MALFORMED_MESSAGE` for truncated or invalid input.
 */
export function readMessage(r: Reader, ctx?: CodecContext): Message {
  const left = depthOf(ctx);
  const types = ctx?.types;
  let info: MessageInfo | undefined;
  if (types !== undefined) {
    info = types.read(r);
  } else {
    const name = r.string();
    info = infoByName(name);
    if (info === undefined) {
      throw new CallsignError(
        'ERR_UNKNOWN_MESSAGE',
        `unknown message type ${JSON.stringify(name)}`,
      );
    }
  }
  try {
    return (info.decode ?? decoderOf(info))(r, ctx, left);
  } catch (e) {
    if (e instanceof CallsignError) {
      throw new CallsignError(e.code, `cannot decode ${info.typeName}: ${e.message}`, { cause: e });
    }
    throw new CallsignError('ERR_MALFORMED_MESSAGE', `cannot decode ${info.typeName}`, {
      cause: e,
    });
  }
}

let scratch: Writer | undefined;

/**
 * Encodes message `m` into a new `Uint8Array` of its own.
 *
 * @throws CallsignError as {@link writeMessage}.
 *
 * @example
 * ```ts
 * const bytes = encodeMessage(new Hello({ text: 'hi' }));
 * const back = decodeMessage(bytes); // a Hello
 * ```
 */
export function encodeMessage(m: Message, ctx?: CodecContext): Uint8Array {
  // Reuse one buffer; take it while in use, so a re-entrant call gets its own.
  const w = scratch ?? new Writer(1024);
  scratch = undefined;
  try {
    w.reset();
    writeMessage(w, m, ctx);
    return w.finish();
  } finally {
    if (w.capacity <= 1 << 20) scratch = w;
  }
}

/**
 * Decodes one message that fills `bytes` exactly.
 *
 * @throws CallsignError `ERR_UNKNOWN_MESSAGE` for a type name that is not
 *   registered; `ERR_MALFORMED_MESSAGE` for truncated, trailing or invalid
 *   input.
 */
export function decodeMessage(bytes: Uint8Array, ctx?: CodecContext): Message {
  const r = new Reader(bytes);
  const m = readMessage(r, ctx);
  r.end();
  return m;
}
