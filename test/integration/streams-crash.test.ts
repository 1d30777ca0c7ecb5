// kill -9 of a stream's host during sustained appends: after the restart
// every acknowledged append is there, in order, no sequence is given twice,
// and no consumer gets again a message whose acknowledgement was stored.
// Everything as a user runs it: a host directory, `callsign stream serve`
// over an lmdb store, and a program that appends and consumes through it.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { open } from 'lmdb';
import { describe, expect, it } from 'vitest';
import { openStreamStore } from '../../src/streams/drivers.ts';
import { STORAGE_FILE } from '../../src/streams/lmdb-backend.ts';
import { BLOCK } from '../../src/streams/record-block.ts';
import { cliProject, eventually } from '../helpers/cli.ts';
import { startProgram } from '../helpers/processes.ts';
import { hostFixture } from './programs/host-fixture.ts';

const LOAD = 'test/integration/programs/stream-load.ts';

interface Seen {
  appended: Map<string, number>; // "p:seq" → n
  acked: Set<string>;
  redeliveredAfterAck: string[];
  duplicates: string[];
}

function parse(stderr: string): Seen {
  const seen: Seen = {
    appended: new Map(),
    acked: new Set(),
    redeliveredAfterAck: [],
    duplicates: [],
  };
  for (const line of stderr.split('\n')) {
    const [what, p, seq, n] = line.split(' ');
    const key = `${p}:${seq}`;
    if (what === 'appended') {
      if (seen.appended.has(key) && seen.appended.get(key) !== Number(n))
        seen.duplicates.push(`${key} for ${seen.appended.get(key)} and ${n}`);
      seen.appended.set(key, Number(n));
    } else if (what === 'acked') {
      seen.acked.add(key);
    } else if (what === 'delivered' && seen.acked.has(key)) {
      seen.redeliveredAfterAck.push(key);
    }
  }
  return seen;
}

describe('streams survive kill -9 of their host', () => {
  it('keeps every acknowledged append and acknowledgement across a SIGKILL during sustained appends', async () => {
    const p = cliProject();
    const host = hostFixture();
    const env = { ...host.env, CALLSIGN_REALM: host.realmFile };
    expect((await p.run(['host', 'start'], env)).code).toBe(0);
    const data = join(p.dir, 'data');
    const created = await p.run(
      ['stream', 'create', '--name', 'crash', '--driver.path', data, '--stream.partitions', '2'],
      env,
    );
    expect(created.code, created.stderr).toBe(0);

    const serve = () => {
      const s = p.start(['stream', 'serve', '--driver.path', data], env);
      return s.waitFor(/serving 1 stream/, 20_000).then(() => s);
    };
    const first = await serve();
    const load = startProgram(LOAD, [], env);
    const count = (what: string) =>
      load.stderr.split('\n').filter((l) => l.startsWith(what)).length;
    await eventually(
      async () => (count('appended') >= 500 && count('acked') >= 100 ? true : undefined),
      'appends and acks before the crash',
      30_000,
    );

    first.child.kill('SIGKILL');
    const killed = await first.done;
    expect(killed.signal).toBe('SIGKILL');
    const before = parse(load.stderr);

    await serve();
    await eventually(
      async () =>
        count('appended') >= before.appended.size + 500 && count('acked') >= before.acked.size + 100
          ? true
          : undefined,
      'appends and acks after the restart',
      30_000,
    );
    load.child.kill('SIGTERM');
    await load.exited;
    const seen = parse(load.stderr);
    expect(seen.duplicates).toEqual([]);
    expect(seen.redeliveredAfterAck).toEqual([]);
    // Only the appends cut short by the program's own stop fail (ERR_CLOSED).
    expect(load.stderr).not.toMatch(/^refused \d+ (?!ERR_CLOSED)/m);

    // The command line still reaches the store through the server; then stop it as Ctrl-C would.
    const info = await p.run(['stream', 'info', 'crash', '--driver.path', data, '--json'], env);
    expect(info.code, info.stderr).toBe(0);
    expect(JSON.parse(info.stdout).messages).toBeGreaterThanOrEqual(seen.appended.size);
    const server = JSON.parse(readFileSync(join(data, 'server.json'), 'utf8')) as { pid: number };
    process.kill(server.pid, 'SIGTERM');
    await eventually(
      async () => (existsSync(join(data, 'server.json')) ? undefined : true),
      'the server to stop',
      15_000,
    );

    // The layout under test: records of one write many to a value (record-block.ts).
    {
      const env = open({ path: join(data, STORAGE_FILE), maxDbs: 16, readOnly: true });
      let blocks = 0;
      for (const { value } of env.openDB({ name: 'records', encoding: 'binary' }).getRange({})) {
        if ((value as Uint8Array)[0] === BLOCK) blocks++;
      }
      await env.close();
      expect(blocks).toBeGreaterThan(0);
    }
    await using store = await openStreamStore({ driver: 'lmdb', options: { path: data } });
    const decode = (d: Uint8Array) => Number(new TextDecoder().decode(d));
    for (const partition of [0, 1]) {
      const stored = new Map<number, number>();
      let from = 1;
      for (;;) {
        const page = await store.read('crash', { partition, from, max: 10_000 });
        if (page.length === 0) break;
        for (const r of page) stored.set(r.sequence, decode(r.data));
        from = (page.at(-1)?.sequence ?? 0) + 1;
      }
      // Every acknowledged append is there, under the sequence it was given.
      for (const [key, n] of seen.appended) {
        const [pp, seq] = key.split(':').map(Number) as [number, number];
        if (pp === partition) expect(stored.get(seq), `message ${n} at ${key}`).toBe(n);
      }
      // In order: within a partition, later sequences hold later appends of one key.
      const byKey = new Map<number, number[]>();
      for (const [, n] of [...stored.entries()].sort((a, b) => a[0] - b[0])) {
        const k = n % 7;
        byKey.set(k, [...(byKey.get(k) ?? []), n]);
      }
      for (const ns of byKey.values()) expect(ns).toEqual([...ns].sort((a, b) => a - b));
    }
    // No consumer position moved back past a stored acknowledgement.
    const positions = (await store.consumerInfo('crash', 'checker')).positions;
    const again = await store.pull('crash', 'checker', { max: 10_000 });
    const redelivered = again
      .map((d) => `${d.partition}:${d.sequence}`)
      .filter((k) => seen.acked.has(k));
    expect(redelivered).toEqual([]);
    for (const key of seen.acked) {
      const [pp, seq] = key.split(':').map(Number) as [number, number];
      expect(positions[pp]?.nextSequence ?? 0, `acked ${key}`).toBeGreaterThan(seq);
    }
  }, 120_000);
});
