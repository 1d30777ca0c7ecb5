/**
 * The packed form of what the `nats` store reads and delivers
 * (record-batch.ts): JetStream keeps no record-codec bytes, so the records
 * are encoded here. Pure.
 *
 * @module
 */
import { RecordBatchWriter } from '../record-batch.ts';
import type { Delivery, RecordBatch, StoredRecord } from '../store.ts';

function add(
  out: RecordBatchWriter,
  r: StoredRecord,
  deliveryCount: number,
  metadataOnly: boolean,
): void {
  out.addRecord(r.partition, r.sequence, deliveryCount, r, metadataOnly);
}

/** Records (with their data) packed, without their data when `metadataOnly`. */
export function packRecords(
  records: readonly StoredRecord[],
  metadataOnly: boolean,
  next?: number,
): RecordBatch {
  const out = new RecordBatchWriter();
  for (const r of records) add(out, r, 0, metadataOnly);
  return out.finish(next);
}

/** Deliveries (with their data) packed, without their data when `metadataOnly`. */
export function packDeliveries(ds: readonly Delivery[], metadataOnly: boolean): RecordBatch {
  const out = new RecordBatchWriter();
  for (const d of ds) add(out, d, d.deliveryCount, metadataOnly);
  return out.finish();
}
