import { CallsignError } from '../errors.ts';
import type { AddressCodec } from '../messages/address.ts';
import type { Reader, Writer } from '../messages/binary.ts';
import { ActorAddress, type Channel } from '../runtime/address.ts';

/**
 * How addresses cross one connection (`t.address` fields, addresses in
 * `t.any`): an actor of the sending node (tag 0) or of the receiving node
 * (tag 1), then its id. An address of a third node cannot cross
 * (`ERR_INVALID_MESSAGE`).
 */
export function addressCodec(
  channel: Channel & { remote(id: number): ActorAddress },
): AddressCodec {
  return {
    write: (w: Writer, address) => {
      if (!(address instanceof ActorAddress)) {
        throw new CallsignError('ERR_INVALID_MESSAGE', `not an actor address: ${String(address)}`);
      }
      if (address.isLocal) {
        w.u8(0); // an actor of the sending node
        w.varuint(address.id);
      } else if (address.channel === channel) {
        w.u8(1); // an actor of the receiving node
        w.varuint(address.id);
      } else {
        throw new CallsignError(
          'ERR_INVALID_MESSAGE',
          `address ${address} belongs to a third node and cannot cross ${channel.label}`,
        );
      }
    },
    read: (r: Reader) => {
      const where = r.u8();
      const id = r.varuint();
      if (where === 0) return channel.remote(id);
      if (where === 1) return new ActorAddress(id);
      throw new CallsignError('ERR_MALFORMED_MESSAGE', `bad address tag ${where}`);
    },
  };
}
