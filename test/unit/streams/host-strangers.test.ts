import { describe, expect, it } from 'vitest';
import { Available, subscribe } from '../../../src/index.ts';
import { readOutcomes } from '../../../src/streams/append-pack.ts';
import {
  ConsumerAttach,
  ConsumerSettle,
  ConsumerSettlePack,
  StreamAppendedPack,
  StreamAppendPack,
  StreamData,
  StreamFetch,
  StreamManage,
  StreamRead,
  StreamRecordsPack,
  StreamRefused,
} from '../../../src/streams/protocol.ts';
import { appendOf, run, world } from './host-world.ts';

describe('stream host, a stranger', () => {
  it("answers a stranger's bad requests with codes, one by one, and goes on serving", async () => {
    const { node, store } = await world();
    await store.createStream({ name: 'target', partitions: 2 });
    await store.append('target', { data: new Uint8Array([1, 2, 3]) }, { partition: 0 });
    const answers = await run(node, async (self) => {
      subscribe(self, 'target', { scope: 'process' });
      await self.select(Available);
      const host = self.returnAddress as NonNullable<typeof self.returnAddress>;
      const ask = async (m: Parameters<typeof self.send>[0]) => {
        self.send(m, host);
        const r = await self.select(
          StreamRefused,
          StreamAppendedPack,
          StreamData,
          StreamRecordsPack,
          { seconds: 5 },
        );
        if (r instanceof StreamAppendedPack) {
          const [o] = readOutcomes(r.outcomes, r.refusals, 1);
          return o?.refused ? o.refused.code : 'appended';
        }
        return r instanceof StreamRefused ? r.code : r.constructor.name;
      };
      const afterSending = (
        m: Parameters<typeof self.send>[0],
        then: Parameters<typeof ask>[0],
      ) => {
        self.send(m, host);
        return ask(then);
      };
      const one = new Uint8Array(1);
      return [
        await ask(appendOf(1, 'elsewhere', { data: one })),
        await ask(appendOf(2, 'target', { data: one, partition: 9 })),
        await ask(appendOf(3, 'target', { data: one, subject: 'target.*' })),
        await ask(
          new StreamAppendPack({
            id: 17,
            stream: 'target',
            count: 1,
            appends: new Uint8Array([255, 255, 255]),
          }),
        ),
        await ask(
          new StreamAppendPack({
            id: 18,
            stream: 'target',
            count: 2,
            appends: appendOf(0, 'target', { data: one }).appends,
          }),
        ),
        await ask(
          new StreamAppendPack({
            id: 19,
            stream: 'target',
            count: 5000,
            appends: new Uint8Array(0),
          }),
        ),
        await ask(
          new ConsumerAttach({
            id: 4,
            stream: 'target',
            config: { name: 'c' },
            metadataOnly: false,
            window: 0,
          }),
        ),
        await ask(
          new ConsumerAttach({
            id: 5,
            stream: 'target',
            config: { name: 'c2', start: { kind: 'sequence', sequence: -5 } },
            metadataOnly: false,
            window: 5,
          }),
        ),
        await ask(
          new ConsumerAttach({
            id: 6,
            stream: 'target',
            config: { name: 7 },
            metadataOnly: false,
            window: 5,
          }),
        ),
        await ask(
          new ConsumerSettle({
            stream: 'target',
            consumer: 'nobody',
            partition: 0,
            sequence: 1,
            kind: 'ack',
            confirm: 7,
          }),
        ),
        await ask(new StreamFetch({ id: 8, stream: 'target', partition: 0, sequence: 99 })),
        await ask(new StreamFetch({ id: 9, stream: 'target', partition: 7, sequence: 1 })),
        await ask(
          new StreamRead({
            id: 10,
            stream: 'target',
            partition: 5,
            from: 1,
            max: 10,
            metadataOnly: false,
            waitMs: 0,
          }),
        ),
        await ask(
          new StreamManage({ id: 11, action: 'purge', stream: 'target', args: { partition: 'x' } }),
        ),
        await ask(new StreamManage({ id: 12, action: 'info', stream: 'elsewhere', args: {} })),
        await ask(new StreamManage({ id: 13, action: 'create', args: { name: 'bad name' } })),
        await ask(
          new StreamRead({
            id: 14,
            stream: 'target',
            partition: 0,
            from: 1,
            max: 1_000_000,
            metadataOnly: false,
            waitMs: 0,
          }),
        ),
        await ask(
          new StreamFetch({
            id: 15,
            stream: 'target',
            partition: 0,
            sequence: 1,
            offset: 1,
            length: 1,
          }),
        ),
        // Damaged acknowledgement ranges get no answer; the next request is still served.
        await afterSending(
          new ConsumerSettlePack({
            stream: 'target',
            consumer: 'c2',
            acks: new Uint8Array([0, 1, 0, 200, 200, 200, 200, 200, 200, 200, 200]),
            others: [],
          }),
          appendOf(16, 'target', { data: one }),
        ),
      ];
    });
    expect(answers).toEqual([
      'ERR_UNKNOWN_STREAM',
      'ERR_INVALID_PARTITION',
      'ERR_INVALID_SUBJECT',
      'ERR_INVALID_MESSAGE',
      'ERR_INVALID_MESSAGE',
      'ERR_INVALID_STATE',
      'ERR_INVALID_CONSUMER',
      'ERR_INVALID_CONSUMER',
      'ERR_INVALID_CONSUMER',
      'ERR_UNKNOWN_CONSUMER',
      'ERR_NO_SUCH_RECORD',
      'ERR_INVALID_PARTITION',
      'ERR_INVALID_PARTITION',
      'ERR_INVALID_SETTINGS',
      'ERR_UNKNOWN_STREAM',
      'ERR_INVALID_STREAM',
      'StreamRecordsPack',
      'StreamData',
      'appended',
    ]);
    expect((await store.streamInfo('target')).messages).toBe(2);
  });
});
