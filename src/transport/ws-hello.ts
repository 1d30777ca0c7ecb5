/**
 * The dialler's first handshake message carried in the WebSocket upgrade
 * request, so that the listener can answer it (with M2, right behind its
 * `101`) without waiting for another round trip: the header's form, and
 * what a listener accepts in it. Pure functions on text and bytes.
 *
 * @module
 */
import type { ErrorCode } from '../errors.ts';

/** The upgrade request's header that carries the hello (lowercase, as Node gives headers). */
export const HELLO_HEADER = 'x-callsign-hello';

/**
 * The value of {@link HELLO_HEADER} in a `101` whose listener took the hello.
 * A listener that says nothing (one of an earlier version) did not: the
 * dialler then sends M1 as the link's first frame, as before.
 */
export const HELLO_TAKEN = 'taken';

/** The largest hello a listener takes from a header: no handshake message is larger. */
export const MAX_HELLO_BYTES = 256;

/** Unpadded or padded standard base64 of 1 to {@link MAX_HELLO_BYTES} bytes, nothing else. */
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** What a listener makes of the hello header of one upgrade request. */
export type HelloVerdict =
  | { readonly kind: 'none' }
  | { readonly kind: 'hello'; readonly bytes: Uint8Array }
  | { readonly kind: 'refused'; readonly code: ErrorCode; readonly reason: string };

/** The header value that carries `hello`. */
export function helloHeaderValue(hello: Uint8Array): string {
  return Buffer.from(hello.buffer, hello.byteOffset, hello.byteLength).toString('base64');
}

/**
 * Reads the hello header of an upgrade request (`undefined` when it has
 * none). A value that is not base64, or that Node joined from several
 * headers, is `ERR_BAD_UPGRADE`; one that decodes to more than any
 * handshake message is `ERR_HANDSHAKE_TOO_LARGE`. What it says is the
 * handshake's to judge, like any first frame.
 */
export function readHelloHeader(value: string | string[] | undefined): HelloVerdict {
  if (value === undefined) return { kind: 'none' };
  if (typeof value !== 'string') {
    return { kind: 'refused', code: 'ERR_BAD_UPGRADE', reason: 'more than one hello header' };
  }
  if (value.length > Math.ceil(MAX_HELLO_BYTES / 3) * 4) {
    return {
      kind: 'refused',
      code: 'ERR_HANDSHAKE_TOO_LARGE',
      reason: `a hello header of ${value.length} characters`,
    };
  }
  if (value.length % 4 !== 0 || !BASE64.test(value)) {
    return {
      kind: 'refused',
      code: 'ERR_BAD_UPGRADE',
      reason: 'a hello header that is not base64',
    };
  }
  const bytes = Buffer.from(value, 'base64');
  if (bytes.length > MAX_HELLO_BYTES) {
    return {
      kind: 'refused',
      code: 'ERR_HANDSHAKE_TOO_LARGE',
      reason: `a hello of ${bytes.length} bytes`,
    };
  }
  return { kind: 'hello', bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length) };
}
