/**
 * The control records a connection receives (wire/control.ts), decoded and
 * handed to what each one means to the connection. A PONG needs nothing;
 * an operation this version does not know is a malformed frame, which ends
 * the connection.
 *
 * @module
 */
import { CallsignError } from '../errors.ts';
import {
  type ClosePayload,
  CONTROL,
  decodeClose,
  decodeOpen,
  decodeType,
  type OpenPayload,
  type TypePayload,
} from '../wire/control.ts';

/** What a connection does with each control record it receives. */
export interface ControlHandlers {
  /** A keep-alive probe: answer PONG. */
  ping(): void;
  /** The peer's OPEN: its owner and the windows it grants. */
  open(open: OpenPayload): void;
  /** The peer closes, with a code and reason. */
  close(close: ClosePayload): void;
  /** The peer names a message type id it will use. */
  type(type: TypePayload): void;
  /** Credit the peer returns, still packed (read with `readCredits`, without arrays). */
  credit(payload: Uint8Array): void;
}

/**
 * The receiver of control records for a frame unpacker (`RecordHandler.control`).
 *
 * @throws CallsignError `ERR_MALFORMED_FRAME` for an unknown operation or a payload that does not decode
 */
export function controlReceiver(
  handlers: ControlHandlers,
): (op: number, payload: Uint8Array) => void {
  return (op, payload) => {
    switch (op) {
      case CONTROL.ping:
        handlers.ping();
        return;
      case CONTROL.pong:
        return;
      case CONTROL.open:
        handlers.open(decodeOpen(payload));
        return;
      case CONTROL.close:
        handlers.close(decodeClose(payload));
        return;
      case CONTROL.type:
        handlers.type(decodeType(payload));
        return;
      case CONTROL.credit:
        handlers.credit(payload);
        return;
      default:
        throw new CallsignError('ERR_MALFORMED_FRAME', `unknown control operation ${op}`);
    }
  };
}
