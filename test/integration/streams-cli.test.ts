// `callsign stream ...` and `callsign consumer ...` as a user runs them:
// on a store folder directly, and through `callsign stream serve`.
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStreamStore } from '../../src/streams/drivers.ts';
import { cliProject, eventually } from '../helpers/cli.ts';
import { startProgram } from '../helpers/processes.ts';
import { hostFixture } from './programs/host-fixture.ts';

describe('callsign stream and consumer', () => {
  it('creates from flags merged over a JSON file, lists, describes, views, purges and deletes a store directly', async () => {
    const p = cliProject();
    const data = join(p.dir, 'data');
    const at = ['--driver.path', data];
    writeFileSync(
      join(p.dir, 'orders.json'),
      JSON.stringify({ partitions: 2, max_age: '1d', max_msgs: 500, subjects: ['orders.>'] }),
    );
    const created = await p.run([
      'stream',
      'create',
      '--name',
      'orders',
      ...at,
      '--stream.partitions',
      '4',
      '--stream.max_age',
      '7d',
      '--stream-config',
      'orders.json',
      '--json',
    ]);
    expect(created.code, created.stderr).toBe(0);
    expect(JSON.parse(created.stdout).config).toMatchObject({
      name: 'orders',
      partitions: 4,
      maxAgeMs: 7 * 86_400_000,
      maxMessages: 500,
      subjects: ['orders.>'],
    });
    const again = await p.run([
      'stream',
      'create',
      '--name',
      'orders',
      ...at,
      '--stream.partitions',
      '2',
    ]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/\(ERR_STREAM_EXISTS\)/);

    // update changes what it is told to and keeps the rest; partitions stay.
    const updated = await p.run([
      'stream',
      'update',
      'orders',
      ...at,
      '--stream.duplicate_window',
      '5m',
      '--stream.max_msg_size',
      '64k',
      '--json',
    ]);
    expect(updated.code, updated.stderr).toBe(0);
    expect(JSON.parse(updated.stdout).config).toMatchObject({
      partitions: 4,
      maxAgeMs: 7 * 86_400_000,
      maxMessages: 500,
      duplicateWindowMs: 300_000,
      maxMessageSize: 65_536,
      subjects: ['orders.>'],
    });
    const repartitioned = await p.run([
      'stream',
      'update',
      'orders',
      ...at,
      '--stream.partitions',
      '8',
    ]);
    expect(repartitioned.code).toBe(2);
    expect(repartitioned.stderr).toMatch(/\(ERR_INVALID_STREAM\)/);
    const nothing = await p.run(['stream', 'update', 'orders', ...at]);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toMatch(/\(ERR_USAGE\)/);

    // Messages, and a consumer, put there by a program of the test.
    {
      await using store = await openStreamStore({ driver: 'lmdb', options: { path: data } });
      await Promise.all(
        Array.from({ length: 2500 }, (_, i) =>
          store.append(
            'orders',
            {
              data: new TextEncoder().encode(`order ${i}`),
              subject: `orders.${i % 2 ? 'eu' : 'us'}`,
              key: `c${i % 10}`,
            },
            { partition: i % 2 },
          ),
        ),
      );
      await store.createConsumer('orders', {
        name: 'billing',
        start: 'earliest',
        filter: 'orders.eu',
      });
    }
    const list = await p.run(['stream', 'list', ...at]);
    expect(list.stdout).toMatch(
      /^STREAM\s+MESSAGES\s+BYTES\s+PARTITIONS\s+CONSUMERS\norders\s+1000\s+\d+\s+4\s+1\n$/,
    );
    const info = JSON.parse((await p.run(['stream', 'info', 'orders', ...at, '--json'])).stdout);
    expect(info.partitions.map((x: { messages: number }) => x.messages)).toEqual([500, 500, 0, 0]);
    expect((await p.run(['stream', 'info', 'orders', ...at])).stdout).toMatch(
      /limits +messages 500, bytes none, age 7d00h/,
    );

    const view = await p.run(['stream', 'view', 'orders', ...at, '--partition', '1', '--max', '3']);
    expect(view.code, view.stderr).toBe(0);
    expect(view.stdout.trim().split('\n')).toEqual([
      expect.stringMatching(/^1:751 {2}\S+Z {2}orders\.eu {2}key=c1 {2}"order 1501"$/),
      expect.stringMatching(/^1:752 /),
      expect.stringMatching(/^1:753 /),
    ]);
    const json = await p.run([
      'stream',
      'view',
      'orders',
      ...at,
      '--json',
      '--filter',
      'orders.us',
      '--progress',
    ]);
    const lines = json.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(500);
    expect(lines[0]).toMatchObject({
      partition: 0,
      subject: 'orders.us',
      data: Buffer.from('order 1500').toString('base64'),
    });
    expect(json.stderr).toMatch(/^viewed \d+ of 1000 messages$/m);

    const consumers = await p.run(['consumer', 'list', 'orders', ...at]);
    expect(consumers.stdout).toMatch(
      /^CONSUMER\s+MODE\s+FILTER.*\nbilling\s+exclusive\s+orders\.eu/,
    );
    const cinfo = JSON.parse(
      (await p.run(['consumer', 'info', 'orders', 'billing', ...at, '--json'])).stdout,
    );
    expect(cinfo).toMatchObject({
      stream: 'orders',
      config: { name: 'billing', filter: 'orders.eu' },
    });
    expect((await p.run(['consumer', 'info', 'orders', 'nobody', ...at])).stderr).toMatch(
      /\(ERR_UNKNOWN_CONSUMER\)/,
    );

    const purged = await p.run([
      'stream',
      'purge',
      'orders',
      ...at,
      '--partition',
      '0',
      '--progress',
      '--json',
    ]);
    expect(purged.code, purged.stderr).toBe(0);
    expect(JSON.parse(purged.stdout.slice(purged.stdout.indexOf('{')))).toEqual({
      stream: 'orders',
      removed: 500,
    });
    expect(purged.stderr).toMatch(/^purged 500 of 1000 messages$/m);
    expect((await p.run(['stream', 'delete', 'orders', ...at])).stdout).toBe(
      'deleted stream orders\n',
    );
    expect((await p.run(['stream', 'list', ...at])).stdout).toMatch(/^no streams/);

    for (const [args, code] of [
      [['stream', 'info', 'orders', ...at], 'ERR_UNKNOWN_STREAM'],
      [['stream', 'list', ...at, '--colour', 'red'], 'ERR_USAGE'],
      [
        ['stream', 'create', '--name', 'x', ...at, '--stream.retention', 'forever'],
        'ERR_INVALID_STREAM',
      ],
      [['stream', 'create', ...at], 'ERR_USAGE'],
      [['stream', 'list', '--driver', 'memory'], 'ERR_USAGE'],
      [['stream', 'create', '--name', 'x', '--stream-config', 'missing.json', ...at], 'ERR_USAGE'],
    ] as const) {
      const r = await p.run(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`\\(${code}\\)`));
    }
  }, 90_000); // some twenty CLI processes in turn: slow only on a loaded machine

  it('serves a store: the commands go through the server, and view --follow prints what producers append', async () => {
    const p = cliProject();
    const host = hostFixture();
    const env = { ...host.env, CALLSIGN_REALM: host.realmFile };
    expect((await p.run(['host', 'start'], env)).code).toBe(0);
    const data = join(p.dir, 'data');
    const at = ['--driver.path', data];
    const serve = p.start(['stream', 'serve', ...at], env);
    await serve.waitFor(/serving 0 streams of .* as streams at host scope/, 20_000);
    const created = await p.run(
      ['stream', 'create', '--name', 'crash', ...at, '--stream.partitions', '1'],
      env,
    );
    expect(created.stdout).toBe('created stream crash (1 partition) in server streams\n');
    const follow = p.start(['stream', 'view', 'crash', ...at, '--follow'], env);
    const load = startProgram('test/integration/programs/stream-load.ts', [], env);
    await eventually(
      async () => (follow.stdout.split('\n').length > 20 ? true : undefined),
      'followed messages',
      20_000,
    );
    follow.child.kill('SIGINT');
    const ended = await follow.done;
    expect(ended.code, ended.stderr).toBe(0);
    expect(ended.stdout.split('\n')[0]).toMatch(/^0:1 {2}\S+Z {2}crash {2}key=k1 {2}"1"$/);
    load.child.kill('SIGTERM');
    await load.exited;
    const consumers = JSON.parse(
      (await p.run(['consumer', 'list', 'crash', ...at, '--json'], env)).stdout,
    );
    expect(consumers.map((c: { config: { name: string } }) => c.config.name)).toEqual(['checker']);
    // The command line of another realm file has other keys: it may look, not purge.
    const elsewhere = join(p.dir, 'elsewhere');
    mkdirSync(elsewhere);
    copyFileSync(host.realmFile, join(elsewhere, 'realm.json'));
    const stranger = { ...env, CALLSIGN_REALM: join(elsewhere, 'realm.json') };
    const looked = await p.run(['stream', 'info', 'crash', ...at, '--json'], stranger);
    expect(looked.code, looked.stderr).toBe(0);
    const purged = await p.run(['stream', 'purge', 'crash', ...at], stranger);
    expect(purged.stderr).toMatch(/ERR_NOT_STREAM_ADMIN/);
    expect(JSON.parse(looked.stdout).messages).toBe(
      JSON.parse((await p.run(['stream', 'info', 'crash', ...at, '--json'], env)).stdout).messages,
    );
    // The store is the server's while it runs: a second server is refused.
    const second = await p.run(['stream', 'serve', ...at], env);
    expect(second.stderr).toMatch(/serves .* already \(ERR_INVALID_STATE\)/);
    const badAdmin = await p.run(['stream', 'serve', ...at, '--admin', 'nobody'], env);
    expect(badAdmin.stderr).toMatch(/--admin takes a node's public key .*\(ERR_USAGE\)/);
    serve.child.kill('SIGTERM');
    expect((await serve.done).code).toBe(0);
  });
});
