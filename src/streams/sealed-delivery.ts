/**
 * A consumer's side of sealed streams: deliveries and fetched data opened
 * with the stream key, or marked with the code of why they could not be
 * (never handed over as ciphertext that looks like data).
 *
 * @module
 */
import { CallsignError } from '../errors.ts';
import type { RecordData } from './backend.ts';
import { SEALED_TYPE, type StreamSeal } from './sealed-payload.ts';

/** A delivered (or read) record, opened when it was sealed. */
export type OpenedRecord<R extends RecordData = RecordData> = R & { readonly sealedError?: string };

function codeOf(error: unknown): string {
  return error instanceof CallsignError ? error.code : 'ERR_SEALED_TAMPERED';
}

/**
 * The record with its data and type opened when it is sealed; without the
 * key, or when opening fails, with no data and `sealedError` set. A record
 * delivered metadata only (no data) stays as it is: {@link openFetched} opens it.
 */
export function openDelivered<R extends RecordData>(
  record: R,
  seal: StreamSeal | undefined,
  metadataOnly: boolean,
): OpenedRecord<R> {
  if (record.type !== SEALED_TYPE || metadataOnly) return record;
  if (!seal) return { ...record, data: new Uint8Array(0), sealedError: 'ERR_SEALED_KEY' };
  try {
    const { data, type } = seal.open(record.data, { subject: record.subject, key: record.key });
    return { ...record, data, type };
  } catch (error) {
    return { ...record, data: new Uint8Array(0), sealedError: codeOf(error) };
  }
}

/** What {@link openFetched} needs of a delivery. */
export interface FetchedOf {
  readonly type?: string | undefined;
  readonly subject: string;
  readonly key?: string | undefined;
  readonly stream: string;
  readonly sequence: number;
}

/**
 * The data fetched for a delivery: opened when it is sealed (then `range`
 * applies to the opened data, so the whole record was fetched).
 *
 * @throws CallsignError `ERR_SEALED_KEY`, `ERR_SEALED_TAMPERED`
 */
export function openFetched(
  d: FetchedOf,
  data: Uint8Array,
  seal: StreamSeal | undefined,
  range?: { offset: number; length: number },
): Uint8Array {
  if (d.type !== SEALED_TYPE) return data;
  if (!seal) {
    throw new CallsignError(
      'ERR_SEALED_KEY',
      `message ${d.sequence} of ${d.stream} is sealed: this consumer has no stream key`,
    );
  }
  const opened = seal.open(data, { subject: d.subject, key: d.key }).data;
  return range ? opened.subarray(range.offset, range.offset + range.length) : opened;
}
