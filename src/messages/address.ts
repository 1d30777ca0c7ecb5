import type { Reader, Writer } from './binary.ts';

/**
 * The opaque handle of an actor, local or remote. The runtime implements it;
 * the message layer only needs to recognise one (`isAddress === true`) and to
 * have it written and read by an {@link AddressCodec}.
 */
export interface Address {
  readonly isAddress: true;
  toString(): string;
}

/**
 * Writes and reads the addresses inside messages (`t.address` fields and
 * addresses inside `t.any`). The runtime supplies one per connection, in the
 * codec context, because what an address means depends on the connection it
 * crosses.
 *
 * `write` must write at least one byte and `read` must read exactly what
 * `write` wrote. Whatever `read` throws is reported as
 * `ERR_MALFORMED_MESSAGE`, with the original error as `cause`.
 *
 * @example
 * ```ts
 * const addresses: AddressCodec = {
 *   write: (w, a) => w.varuint(idOf(a)),
 *   read: (r) => addressFor(r.varuint()),
 * };
 * const bytes = encodeMessage(msg, { addresses });
 * ```
 */
export interface AddressCodec {
  write(w: Writer, a: Address): void;
  read(r: Reader): Address;
}

/** True when `x` is an {@link Address}: a non-null object with `isAddress === true`. */
export function isAddress(x: unknown): x is Address {
  return typeof x === 'object' && x !== null && (x as { isAddress?: unknown }).isAddress === true;
}
