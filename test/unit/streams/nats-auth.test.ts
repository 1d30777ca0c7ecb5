/**
 * NATS login and TLS, given once per home like the servers: against
 * nats-servers of the test's own that ask for a user and password, for a
 * token, for a creds file (operator mode: an operator, account and user
 * made here with @nats-io/jwt), and for TLS (a certificate made here with
 * openssl).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createAccount,
  createOperator,
  createUser,
  defaultNatsLimits,
  encodeAccount,
  encodeOperator,
  encodeUser,
  fmtCreds,
} from '@nats-io/jwt';
import { afterAll, describe, expect, it } from 'vitest';
import { openStreamStore } from '../../../src/streams/drivers.ts';
import { natsSettings } from '../../../src/streams/nats/settings.ts';
import { type NatsServers, startNatsServer } from '../../streams/nats-servers.ts';

const started: NatsServers[] = [];
const folders: string[] = [];
afterAll(async () => {
  await Promise.allSettled(started.map((s) => s.close()));
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
});

function folder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'callsign-nats-auth-'));
  folders.push(dir);
  return dir;
}

async function server(extra: string): Promise<string> {
  const s = await startNatsServer(extra);
  started.push(s);
  return s.urls[0] as string;
}

/** A home whose nats.json says `settings` (mode 600). */
function home(settings: Record<string, unknown>, mode = 0o600): NodeJS.ProcessEnv {
  const dir = folder();
  const file = join(dir, 'nats.json');
  writeFileSync(file, JSON.stringify(settings));
  chmodSync(file, mode);
  return { CALLSIGN_HOME: dir };
}

/** Makes a stream, appends and reads it back: the store is really logged in. */
async function works(env: NodeJS.ProcessEnv, options: Record<string, unknown> = {}) {
  await using store = await openStreamStore({ driver: 'nats', options, env });
  await store.createStream({ name: 'guarded' });
  const r = await store.append('guarded', { data: new TextEncoder().encode('in') });
  expect(new TextDecoder().decode((await store.get('guarded', 0, r.sequence)).data)).toBe('in');
}

describe('nats login settings', () => {
  const env = home({ servers: ['nats://127.0.0.1:4222'] });
  it('take one way to log in, whole, and name what is wrong', () => {
    expect(natsSettings({ user: 'u', password: 'p' }, env).auth).toEqual({
      user: 'u',
      password: 'p',
    });
    expect(natsSettings({ token: 't' }, env).auth).toEqual({ token: 't' });
    for (const [bad, reason] of [
      [{ user: 'u' }, /user and password go together/],
      [{ user: 'u', password: 'p', token: 't' }, /one way to log in/],
      [{ token: 't', creds: '/x.creds' }, /one way to log in/],
      [{ token: '' }, /token must be a text/],
      [{ tlsCert: '/c.pem' }, /tlsCert and tlsKey go together/],
    ] as const) {
      expect(() => natsSettings(bad, env)).toThrow(reason);
    }
  });

  it('refuse a nats.json with a password that others may read', () => {
    const open = home({ servers: ['nats://127.0.0.1:4222'], token: 'sekrit' }, 0o644);
    expect(() => natsSettings({}, open)).toThrow(/chmod 600/);
    expect(() => natsSettings({}, open)).not.toThrow(/sekrit/);
  });
});

it('logs in with the user and password of the home, and a wrong password is refused with a code', async () => {
  const url = await server('authorization {\n  user: alice\n  password: "wonder-land"\n}');
  await works(home({ servers: [url], user: 'alice', password: 'wonder-land', prefix: 'up' }));
  const wrong = openStreamStore({
    driver: 'nats',
    env: home({ servers: [url], user: 'alice', password: 'not-it' }),
  });
  await expect(wrong).rejects.toMatchObject({ code: 'ERR_STORAGE_FAILED' });
  await expect(wrong).rejects.not.toThrow(/not-it/);
  await expect(
    openStreamStore({ driver: 'nats', options: { servers: url }, env: {} }),
  ).rejects.toMatchObject({ code: 'ERR_STORAGE_FAILED' });
}, 30_000);

it('logs in with a token given in the driver options', async () => {
  const url = await server('authorization {\n  token: "t0ken-of-home"\n}');
  await works({}, { servers: url, token: 't0ken-of-home', prefix: 'tk' });
  await expect(
    openStreamStore({ driver: 'nats', options: { servers: url, token: 'other' }, env: {} }),
  ).rejects.toMatchObject({ code: 'ERR_STORAGE_FAILED' });
}, 30_000);

it('connects over TLS to a server whose certificate the home trusts', async () => {
  const dir = folder();
  const made = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ],
    { encoding: 'utf8' },
  );
  if (made.error || made.status !== 0)
    throw new Error(`this test needs openssl (Debian: apt-get install openssl): ${made.stderr}`);
  const url = await server(
    `tls {\n  cert_file: "${join(dir, 'cert.pem')}"\n  key_file: "${join(dir, 'key.pem')}"\n}`,
  );
  await works(home({ servers: [url], tlsCa: join(dir, 'cert.pem'), prefix: 'tls' }));
  // Without the CA the server's certificate is not trusted: no connection.
  await expect(
    openStreamStore({ driver: 'nats', options: { servers: url }, env: {} }),
  ).rejects.toMatchObject({ code: 'ERR_STORAGE_FAILED' });
}, 30_000);

/** An operator, an account with JetStream, and a user of it: the server's configuration and the user's creds. */
async function operatorMode(): Promise<{ config: string; creds: Uint8Array; other: Uint8Array }> {
  const operator = createOperator();
  const account = createAccount();
  const user = createUser();
  const operatorJwt = await encodeOperator('callsign-test', operator);
  const accountJwt = await encodeAccount(
    'streams',
    account,
    {
      limits: {
        ...defaultNatsLimits(),
        conn: -1,
        leaf: -1,
        imports: -1,
        exports: -1,
        wildcards: true,
        mem_storage: -1,
        disk_storage: -1,
        streams: -1,
        consumer: -1,
      },
    },
    { signer: operator },
  );
  const system = createAccount();
  const systemJwt = await encodeAccount('SYS', system, {}, { signer: operator });
  const userJwt = await encodeUser('host', user, account);
  // A user of an account the server does not know: refused.
  const stranger = createUser();
  const otherJwt = await encodeUser('stranger', stranger, createAccount());
  const config = [
    `operator: ${operatorJwt}`,
    `system_account: ${system.getPublicKey()}`,
    'resolver: MEMORY',
    `resolver_preload: {\n  ${account.getPublicKey()}: ${accountJwt}\n  ${system.getPublicKey()}: ${systemJwt}\n}`,
  ].join('\n');
  return { config, creds: fmtCreds(userJwt, user), other: fmtCreds(otherJwt, stranger) };
}

it('logs in with the creds file of the home, and a creds file the server does not know is refused with a code', async () => {
  const made = await operatorMode();
  const url = await server(made.config);
  const dir = folder();
  const creds = join(dir, 'host.creds');
  writeFileSync(creds, made.creds, { mode: 0o600 });
  await works(home({ servers: [url], creds, prefix: 'cr' }));
  const strangerCreds = join(dir, 'stranger.creds');
  writeFileSync(strangerCreds, made.other, { mode: 0o600 });
  const refused = openStreamStore({
    driver: 'nats',
    env: home({ servers: [url], creds: strangerCreds }),
  });
  await expect(refused).rejects.toMatchObject({ code: 'ERR_STORAGE_FAILED' });
  // Neither the seed nor the token of the refused file is in the message.
  const message = String(((await refused.catch((e: unknown) => e)) as Error).message);
  expect(message).toMatch(/refused the login \(creds\): .*authorization/i);
  const secrets = new TextDecoder()
    .decode(made.other)
    .split('\n')
    .filter((line) => /^(SU|eyJ)/.test(line));
  expect(secrets).toHaveLength(2);
  for (const secret of secrets) expect(message).not.toContain(secret);
  // Without any creds the server asks for them.
  await expect(
    openStreamStore({ driver: 'nats', options: { servers: url }, env: {} }),
  ).rejects.toMatchObject({ code: 'ERR_STORAGE_FAILED' });
}, 30_000);
