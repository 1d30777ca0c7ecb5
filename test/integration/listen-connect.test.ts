import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startProgram, tempDir } from '../helpers/processes.ts';

const SERVER = 'examples/listen-connect/server.ts';
const CLIENT = 'examples/listen-connect/client.ts';
const WATCH = 'test/integration/programs/watch.ts';

function realmEnv(dir: string, name = 'realm.json') {
  return { CALLSIGN_REALM: join(dir, name) };
}

describe('listen/connect between two processes', () => {
  it('does request/reply over a unix socket', async () => {
    const dir = tempDir();
    const env = realmEnv(dir);
    const endpoint = `unix:${join(dir, 's.sock')}`;
    const server = startProgram(SERVER, [`--endpoint=${endpoint}`, '--debug-level=CONSOLE'], env);
    await server.waitFor(/listening on/);
    const client = startProgram(
      CLIENT,
      [`--endpoint=${endpoint}`, '--count=4', '--text=ping'],
      env,
    );
    const out = (await client.output()) as { answers: { text: string; server: string }[] };
    expect((await client.exited).code).toBe(0);
    expect(out.answers.map((a) => a.text)).toEqual(['PING #1', 'PING #2', 'PING #3', 'PING #4']);
    server.child.kill('SIGTERM');
    expect(await server.output()).toEqual({ served: 4, clients: 1 });
  });

  it('does request/reply over TCP on a port the system chose', async () => {
    const dir = tempDir();
    const env = realmEnv(dir);
    const server = startProgram(SERVER, ['--endpoint=127.0.0.1:0', '--debug-level=CONSOLE'], env);
    const [, endpoint] = (await server.waitFor(/listening on (127\.0\.0\.1:\d+)/)) as unknown as [
      string,
      string,
    ];
    expect(endpoint).not.toBe('127.0.0.1:0');
    const client = startProgram(CLIENT, [`--endpoint=${endpoint}`, '--count=2'], env);
    const out = (await client.output()) as { endpoint: string; answers: unknown[] };
    expect(out.endpoint).toBe(endpoint);
    expect(out.answers).toHaveLength(2);
  });

  it('refuses a node of another realm and keeps serving its own', async () => {
    const dir = tempDir();
    const endpoint = `unix:${join(dir, 's.sock')}`;
    const server = startProgram(
      SERVER,
      [`--endpoint=${endpoint}`, '--debug-level=CONSOLE'],
      realmEnv(dir),
    );
    // Only once it listens: a stranger arriving earlier would just find nobody there.
    await server.waitFor(/listening on/);
    const stranger = startProgram(CLIENT, [`--endpoint=${endpoint}`], realmEnv(dir, 'other.json'));
    await server.waitFor(/refused: .*ERR_WRONG_REALM/);
    const refused = (await stranger.output()) as { code: string };
    expect((await stranger.exited).code).toBe(1);
    expect(refused.code).toBe('ERR_WRONG_REALM');
    const friend = startProgram(CLIENT, [`--endpoint=${endpoint}`, '--count=1'], realmEnv(dir));
    expect(((await friend.output()) as { answers: unknown[] }).answers).toHaveLength(1);
  });

  it('gives NotConnected with a code when nobody listens', async () => {
    const dir = tempDir();
    const client = startProgram(
      CLIENT,
      [`--endpoint=unix:${join(dir, 'nobody.sock')}`],
      realmEnv(dir),
    );
    expect(await client.output()).toMatchObject({ code: 'ERR_CONNECT_FAILED' });
  });

  it('SIGKILL of the listener gives Abandoned (connection lost) to the connector at once', async () => {
    const dir = tempDir();
    const env = realmEnv(dir);
    const endpoint = `unix:${join(dir, 'w.sock')}`;
    const listener = startProgram(
      WATCH,
      ['--role=listen', `--endpoint=${endpoint}`, '--debug-level=CONSOLE'],
      env,
    );
    await listener.waitFor(/listening on/);
    const connector = startProgram(WATCH, [`--endpoint=${endpoint}`, '--debug-level=CONSOLE'], env);
    await connector.waitFor(/connected/);
    listener.child.kill('SIGKILL');
    // Lost, not timed out: the socket's end is noticed, no keep-alive needed.
    expect(await connector.output()).toEqual({ ended: 'Abandoned', code: 'ERR_CONNECTION_LOST' });
  });

  it('SIGKILL of the connector gives Abandoned to the listener', async () => {
    const dir = tempDir();
    const env = realmEnv(dir);
    const endpoint = `unix:${join(dir, 'w.sock')}`;
    const listener = startProgram(
      WATCH,
      ['--role=listen', `--endpoint=${endpoint}`, '--debug-level=CONSOLE'],
      env,
    );
    await listener.waitFor(/listening on/);
    const connector = startProgram(WATCH, [`--endpoint=${endpoint}`, '--debug-level=CONSOLE'], env);
    await listener.waitFor(/accepted/);
    connector.child.kill('SIGKILL');
    expect(await listener.output()).toEqual({ ended: 'Abandoned', code: 'ERR_CONNECTION_LOST' });
  });

  it('a peer that stops answering is abandoned by keep-alive', async () => {
    const dir = tempDir();
    const env = realmEnv(dir);
    const listener = startProgram(
      WATCH,
      ['--role=listen', '--endpoint=127.0.0.1:0', '--debug-level=CONSOLE'],
      env,
    );
    const [, endpoint] = (await listener.waitFor(/listening on (127\.0\.0\.1:\d+)/)) as unknown as [
      string,
      string,
    ];
    const connector = startProgram(WATCH, [`--endpoint=${endpoint}`, '--debug-level=CONSOLE'], env);
    await connector.waitFor(/connected/);
    // Frozen, not dead: its socket stays open, only keep-alive can tell.
    listener.child.kill('SIGSTOP');
    try {
      expect(await connector.output()).toEqual({
        ended: 'Abandoned',
        code: 'ERR_KEEPALIVE_TIMEOUT',
      });
    } finally {
      listener.child.kill('SIGCONT');
    }
  });
});
