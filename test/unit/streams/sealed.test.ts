/**
 * Sealed streams: the producer seals each payload with the stream key, the
 * host and the store (LMDB, JetStream) hold ciphertext only, a consumer
 * with the key opens it, one without gets a code, never garbage, and
 * tampered ciphertext is refused with a code. On lmdb and on nats.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { defineMessage, t } from '../../../src/index.ts';
import { decodeMessage } from '../../../src/messages/codec.ts';
import { openConsumer } from '../../../src/streams/consumer.ts';
import { openStreamStore } from '../../../src/streams/drivers.ts';
import { openProducer } from '../../../src/streams/producer.ts';
import { StreamDelivery } from '../../../src/streams/protocol.ts';
import { openReader } from '../../../src/streams/reader.ts';
import {
  newStreamKey,
  SEAL_OVERHEAD,
  SEALED_TYPE,
  StreamSeal,
} from '../../../src/streams/sealed-payload.ts';
import type { StreamStore } from '../../../src/streams/store.ts';
import { eventually, useNatsServer } from '../../streams/nats-servers.ts';
import { hostNode } from '../../streams/stream-host-node.ts';

vi.setConfig({ testTimeout: 30_000 });

class Entry extends defineMessage('test.streams.LedgerEntry', { note: t.string, cents: t.int }) {}

const SECRET = 'PLAINTEXT-NOTE-7f3a';
const KEY = newStreamKey();

/** Every file under `dir`, read whole. */
function filesUnder(dir: string): Buffer[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [readFileSync(path)];
  });
}

function holds(files: Buffer[], text: string): boolean {
  return files.some((f) => f.includes(Buffer.from(text)));
}

describe('a stream key', () => {
  it('opens a payload sealed by an earlier release (the layout is kept)', () => {
    // Sealed before seals reused their key object and scratch buffers.
    const before = Buffer.from(
      'xV6hAW+LTDK7gg0rznmapy7L/li/RcZVGw0oc0eFiHimaCKo/qatWgVZzMxWeBnlvc4ya5xmOfCRMV24gIbMKKoJ',
      'base64',
    );
    const seal = new StreamSeal(Buffer.alloc(32, 7));
    const place = { subject: 'orders.eu', key: 'klé' };
    const opened = seal.open(before, place);
    expect(new TextDecoder().decode(opened.data)).toBe('ünïcode data');
    expect(opened.type).toBe('app.Çrder');
    expect(() => seal.open(before, { ...place, key: 'kle' })).toThrow(/authentication/);
  });

  it('seals every payload with its own nonce, and payloads of any size and text', () => {
    const seal = new StreamSeal(newStreamKey());
    const nonces = new Set<string>();
    const data = new Uint8Array(10);
    // Past several refills of the nonce pool.
    for (let i = 0; i < 3000; i++) {
      nonces.add(
        Buffer.from(seal.seal(data, undefined, { subject: 's' }).subarray(12, 24)).toString('hex'),
      );
    }
    expect(nonces.size).toBe(3000);
    for (const size of [0, 1, 16 * 1024 - 11, 16 * 1024, 100_000]) {
      const payload = Uint8Array.from({ length: size }, (_, i) => i % 251);
      for (const [type, place] of [
        [undefined, { subject: 'a' }],
        ['app.Ünï', { subject: 'ß.'.repeat(200).slice(0, -1), key: 'κ'.repeat(300) }],
      ] as const) {
        const sealed = seal.seal(payload, type, place);
        expect(sealed.length).toBe(size + SEAL_OVERHEAD + (type ? Buffer.byteLength(type) : 0));
        const opened = seal.open(sealed, place);
        expect(Buffer.from(opened.data).equals(Buffer.from(payload))).toBe(true);
        expect(opened.type).toBe(type);
      }
    }
  });

  it('opens what it sealed at the same place, and refuses another place, another key, a changed byte', () => {
    const seal = new StreamSeal(KEY);
    const place = { subject: 'ledger', key: 'acct-1' };
    const sealed = seal.seal(Buffer.from(SECRET), 'app.Type', place);
    expect(Buffer.from(sealed).includes(Buffer.from(SECRET))).toBe(false);
    expect(seal.open(sealed, place)).toEqual({ data: Buffer.from(SECRET), type: 'app.Type' });
    expect(() => seal.open(sealed, { subject: 'ledger', key: 'acct-2' })).toThrow(
      expect.objectContaining({ code: 'ERR_SEALED_TAMPERED' }),
    );
    expect(() => seal.open(sealed, { subject: 'ledger.eu', key: 'acct-1' })).toThrow(
      expect.objectContaining({ code: 'ERR_SEALED_TAMPERED' }),
    );
    expect(() => new StreamSeal(newStreamKey()).open(sealed, place)).toThrow(
      expect.objectContaining({ code: 'ERR_SEALED_KEY' }),
    );
    for (const at of [30, sealed.length - 1]) {
      const changed = Uint8Array.from(sealed);
      changed[at] = (changed[at] as number) ^ 1;
      expect(() => seal.open(changed, place)).toThrow(
        expect.objectContaining({ code: 'ERR_SEALED_TAMPERED' }),
      );
    }
    expect(() => seal.open(sealed.subarray(0, 20), place)).toThrow(
      expect.objectContaining({ code: 'ERR_SEALED_TAMPERED' }),
    );
    expect(() => new StreamSeal('short')).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_SETTINGS' }),
    );
  });
});

interface Driver {
  readonly name: string;
  open(): Promise<StreamStore>;
  /** The stored bytes, read around callsign (the files, or a raw JetStream client). */
  stored(): Promise<Buffer[]>;
}

const nats = useNatsServer();
const lmdbDir = mkdtempSync(join(tmpdir(), 'callsign-sealed-'));
afterAll(() => {
  rmSync(lmdbDir, { recursive: true, force: true });
});

const drivers: Driver[] = [
  {
    name: 'lmdb',
    open: () => openStreamStore({ driver: 'lmdb', options: { path: lmdbDir } }),
    stored: async () => filesUnder(lmdbDir),
  },
  {
    name: 'nats',
    open: () =>
      openStreamStore({ driver: 'nats', options: { servers: nats.url(), prefix: 'sealed' } }),
    stored: async () => {
      const nc = await connect({ servers: nats.url() });
      try {
        const jsm = await jetstreamManager(nc);
        const out: Buffer[] = [];
        const info = await jsm.streams.info('sealed_ledger_p0');
        for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
          const m = await jsm.streams.getMessage('sealed_ledger_p0', { seq });
          if (!m) continue;
          const headers = m.header ? [...m.header.keys()].map((k) => m.header.get(k)) : [];
          out.push(
            Buffer.concat([
              Buffer.from(m.data),
              Buffer.from(m.subject),
              Buffer.from(headers.join('\n')),
            ]),
          );
        }
        return [...out, ...filesUnder(nats.servers().dir)];
      } finally {
        await nc.close();
      }
    },
  },
];

describe.each(drivers)('a sealed stream on $name', (driver) => {
  it('stores only ciphertext; the key opens it, no key or another key gives a code, a tampered record a code', async () => {
    const store = await driver.open();
    await store.createStream({ name: 'ledger', sealed: true });
    expect((await store.streamInfo('ledger')).config.sealed).toBe(true);
    const { run } = hostNode(`sealed-${driver.name}`, store);

    // A producer with the key seals; one without is refused with a code.
    await run(async (self) => {
      const producer = openProducer(self, 'ledger', { scope: 'process', sealKey: KEY });
      for (let i = 0; i < 5; i++) {
        await producer.append(new Entry({ note: `${SECRET}-${i}`, cents: i }), { key: 'acct-1' });
      }
      await producer.flush();
      producer.close();
      const plain = openProducer(self, 'ledger', { scope: 'process' });
      await expect(plain.append(new Entry({ note: SECRET, cents: 0 }))).rejects.toMatchObject({
        code: 'ERR_NOT_SEALED',
      });
      plain.close();
    });

    // The stored bytes: the key is there in the clear (so the scan sees records), the note is not.
    const stored = await eventually('the key in the stored bytes', async () => {
      const files = await driver.stored();
      return holds(files, 'acct-1') && files;
    });
    expect(holds(stored, SECRET)).toBe(false);
    expect(holds(stored, 'test.streams.LedgerEntry')).toBe(false);

    // A tampered record (one byte of a real seal changed) and one moved to another key.
    const seal = new StreamSeal(KEY);
    const good = seal.seal(Buffer.from('x'), undefined, { subject: 'ledger', key: 'acct-1' });
    const changed = Uint8Array.from(good);
    changed[good.length - 3] = (changed[good.length - 3] as number) ^ 0x40;
    await store.append('ledger', { data: changed, type: SEALED_TYPE, key: 'acct-1' });
    await store.append('ledger', { data: good, type: SEALED_TYPE, key: 'acct-2' });

    const consume = (name: string, sealKey?: string) =>
      run(async (self) => {
        const c = openConsumer(self, 'ledger', {
          scope: 'process',
          name,
          start: 'earliest',
          ...(sealKey ? { sealKey } : {}),
        });
        await c.attached();
        const seen: { note?: string; code?: string; bytes: number; thrown?: string }[] = [];
        while (seen.length < 7) {
          const d = await self.select(StreamDelivery);
          let thrown: string | undefined;
          let note: string | undefined;
          try {
            note = (c.message(d) as Entry).note;
          } catch (err) {
            thrown = (err as { code?: string }).code;
          }
          seen.push({
            ...(note === undefined ? {} : { note }),
            ...(d.sealedError === undefined ? {} : { code: d.sealedError }),
            ...(thrown === undefined ? {} : { thrown }),
            bytes: d.data.length,
          });
          c.ack(d);
        }
        c.close();
        return seen;
      });

    const withKey = await consume('with-key', KEY);
    expect(withKey.slice(0, 5).map((s) => s.note)).toEqual(
      [0, 1, 2, 3, 4].map((i) => `${SECRET}-${i}`),
    );
    // The raw payload 'x' was sealed without a type: opened, it is raw bytes, not a message.
    expect(withKey.slice(5)).toEqual([
      { code: 'ERR_SEALED_TAMPERED', thrown: 'ERR_SEALED_TAMPERED', bytes: 0 },
      { code: 'ERR_SEALED_TAMPERED', thrown: 'ERR_SEALED_TAMPERED', bytes: 0 },
    ]);
    // A reader opens them too, or gives the code.
    const read = (sealKey?: string) =>
      run(async (self) => {
        const reader = openReader(self, 'ledger', {
          scope: 'process',
          ...(sealKey ? { sealKey } : {}),
        });
        const { records } = await reader.read();
        reader.close();
        return records.map((r) => ({
          type: r.type,
          code: r.sealedError,
          text: r.type === Entry.typeName ? (decodeMessage(r.data) as Entry).note : r.data.length,
        }));
      });
    const opened = await read(KEY);
    expect(opened.slice(0, 5).map((r) => r.text)).toEqual(
      [0, 1, 2, 3, 4].map((i) => `${SECRET}-${i}`),
    );
    expect(opened.slice(5).map((r) => r.code)).toEqual([
      'ERR_SEALED_TAMPERED',
      'ERR_SEALED_TAMPERED',
    ]);
    const closed = await read();
    expect(closed).toHaveLength(7);
    expect(closed.every((r) => r.code === 'ERR_SEALED_KEY' && r.text === 0)).toBe(true);

    for (const [name, key] of [
      ['no-key', undefined],
      ['other-key', newStreamKey()],
    ] as const) {
      const seen = await consume(name, key);
      expect(seen.every((s) => s.code === 'ERR_SEALED_KEY' && s.thrown === 'ERR_SEALED_KEY')).toBe(
        true,
      );
      expect(seen.every((s) => s.bytes === 0 && s.note === undefined)).toBe(true);
    }
  });
});
