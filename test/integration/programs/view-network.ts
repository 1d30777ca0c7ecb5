// Not a program: what the view's tests share. A home with a host directory
// of the test's own, a strain gauge that publishes `strain-0` (pushing a
// reading every 0.1 s) and a monitor that subscribes to it, both plain
// programs in the home's realm, and `callsign view` watching them. With
// streams, the laboratory's recorder (the stream `strain-readings` behind the
// listing `laboratory-streams`) and its report consumer too.
import { join } from 'node:path';
import { expect } from 'vitest';
import { type CliProcess, type CliProject, cliProject, eventually } from '../../helpers/cli.ts';
import { type Program, startProgram, tempDir } from '../../helpers/processes.ts';
import { hostFixture } from './host-fixture.ts';

/** The view of a small network, and what runs in it. */
export interface ViewedNetwork {
  project: CliProject;
  view: CliProcess;
  /** The page's URL, with the token. */
  url: URL;
  port: number;
  token: string;
  publisher: Program;
  subscriber: Program;
  /** The environment of commands that use the test's host directory. */
  hostEnv: NodeJS.ProcessEnv;
  /** `http://127.0.0.1:<port><path>`. */
  at(path: string): string;
}

const LAB = 'examples/networked-laboratory';

/** Starts the network and the view; everything is stopped when the test finishes. */
export async function viewedNetwork(options: { streams?: boolean } = {}): Promise<ViewedNetwork> {
  const project = cliProject();
  expect((await project.run(['create'])).code).toBe(0);
  const host = hostFixture();
  const started = await project.run(['host', 'start'], host.env);
  expect(started.code, started.stderr).toBe(0);
  const env = { ...host.env, CALLSIGN_REALM: join(project.home, 'realm.json') };
  const publisher = startProgram(
    `${LAB}/strain-device.ts`,
    ['--name=strain-0', '--interval=0.1'],
    env,
  );
  const subscriber = startProgram(`${LAB}/monitor.ts`, ['--display=log'], env);
  const viewArgs = ['view', '--interval=0.5'];
  if (options.streams) {
    startProgram(`${LAB}/recorder.ts`, [`--path=${tempDir('csv-streams-')}`], env);
    startProgram(`${LAB}/report.ts`, [], env);
    viewArgs.push('--streams', 'laboratory-streams');
  }
  const view = project.start(viewArgs, host.env);
  const [, address] = await view.waitFor(/callsign view: (http:\S+)/, 20_000);
  const url = new URL(address as string);
  const token = url.searchParams.get('token') ?? '';
  expect(token).toMatch(/^[A-Za-z0-9_-]{32}$/);
  expect(url.hostname).toBe('127.0.0.1');
  const port = Number(url.port);
  return {
    project,
    view,
    url,
    port,
    token,
    publisher,
    subscriber,
    hostEnv: host.env,
    at: (path) => `http://127.0.0.1:${port}${path}`,
  };
}

/** The view's state once `check` finds what it waits for in it. */
export async function stateWhere<T>(
  n: ViewedNetwork,
  check: (state: ViewStateJson) => T | undefined,
  what: string,
): Promise<T> {
  return eventually(async () => {
    const r = await fetch(n.at('/api/state'), {
      headers: { authorization: `Bearer ${n.token}` },
    });
    if (r.status !== 200) return undefined;
    return check((await r.json()) as ViewStateJson);
  }, what);
}

/** The parts of the view's state the tests look at. */
export interface ViewStateJson {
  snapshot: {
    directories: { level: string; endpoint: string; listings: { name: string }[] }[];
    nodes: { where: string }[];
    listings: { id: string; name: string; rate: { messagesPerSecond: number } | null }[];
    sessions: {
      name: string;
      subscriber: { where: string | null };
      rate: { messagesPerSecond: number; bytesPerSecond: number } | null;
    }[];
  };
  tree: unknown[];
  streams: {
    server: string;
    error?: string;
    streams: {
      name: string;
      messages: number;
      bytes: number;
      consumers: { name: string; positions: { ackFloor: number; pending: number }[] }[];
    }[];
  }[];
  series: Record<string, { t: number[]; messages: number[]; bytes: number[] }>;
  ready: boolean;
}
