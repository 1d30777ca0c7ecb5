import { CallsignError } from '../errors.ts';
import type { Reader, Writer } from '../messages/binary.ts';
import type { TypeTable } from '../messages/codec.ts';
import { infoByName, type MessageInfo } from '../messages/registry.ts';
import { MAX_TYPES, type TypePayload } from '../wire/control.ts';

/**
 * The message types of one connection, by small ids: the first message of a
 * type that goes over the connection is preceded by a TYPE record (id and
 * name), and every message then starts with the id instead of the name. Ids
 * are given in order on each side; the receiver accepts only the next one.
 * A TYPE record is written into the frame before the message that needs it,
 * so however messages are queued later, the receiver always reads the
 * definition first.
 */
export class ConnectionTypes implements TypeTable {
  readonly #sent = new Map<MessageInfo, number>();
  /** By id − 1: the type, or its name when this process does not know it. */
  readonly #received: (MessageInfo | string)[] = [];

  /** The TYPE record to send before the first message of `info`, or undefined when it was sent. */
  announce(info: MessageInfo): TypePayload | undefined {
    if (this.#sent.has(info)) return undefined;
    if (this.#sent.size >= MAX_TYPES) {
      throw new CallsignError(
        'ERR_INVALID_STATE',
        `more than ${MAX_TYPES} message types on one connection`,
      );
    }
    const id = this.#sent.size + 1;
    this.#sent.set(info, id);
    return { id, name: info.typeName };
  }

  /**
   * The peer named a type.
   * @throws CallsignError ERR_MALFORMED_FRAME for an id out of order.
   */
  define(type: TypePayload): void {
    if (type.id !== this.#received.length + 1) {
      throw new CallsignError('ERR_MALFORMED_FRAME', `TYPE ${type.id} out of order`);
    }
    this.#received.push(infoByName(type.name) ?? type.name);
  }

  write(w: Writer, info: MessageInfo): void {
    const id = this.#sent.get(info);
    if (id === undefined) {
      throw new CallsignError(
        'ERR_INVALID_STATE',
        `${info.typeName} was not announced on this connection`,
      );
    }
    w.varuint(id);
  }

  read(r: Reader): MessageInfo {
    const id = r.varuint();
    const type = this.#received[id - 1];
    if (type === undefined) {
      throw new CallsignError('ERR_MALFORMED_MESSAGE', `message of type id ${id}, never named`);
    }
    if (typeof type === 'string') {
      // Named before this process had the class: look again, it may have been defined since.
      const info = infoByName(type);
      if (info === undefined) {
        throw new CallsignError(
          'ERR_UNKNOWN_MESSAGE',
          `unknown message type ${JSON.stringify(type)}`,
        );
      }
      this.#received[id - 1] = info;
      return info;
    }
    return type;
  }
}
