/**
 * The package as a user gets it: `npm pack`, installed into a project made
 * as a user makes one (`npm init -y`, `"type": "module"`), and used there by
 * plain JavaScript, by TypeScript compiled with `tsc --init`'s defaults, and
 * through `npx callsign`.
 *
 * Nothing is fetched from the npm registry: the tarball is installed with
 * `--offline`, and its dependencies are this repository's installed ones,
 * given to npm as local folders (`file:`), which it links.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/processes.ts';

/** How a command ended. */
interface Ran {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');

let dir: string;
let app: string;
const started = new Set<ChildProcess>();

/** The environment of a user's shell: no npm script variables, no callsign ones. */
function userEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('npm_') && !k.startsWith('CALLSIGN_')) env[k] = v;
  }
  // Never the registry; never the machine's real host directory or network.
  return {
    ...env,
    npm_config_offline: 'true',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
    CALLSIGN_NO_HOST: '1',
    CALLSIGN_NO_LAN: '1',
    ...extra,
  };
}

/** Starts `command args` in the app's folder (or `cwd`). */
function start(
  command: string,
  args: readonly string[],
  init: { cwd?: string; env?: NodeJS.ProcessEnv; detached?: boolean; input?: boolean } = {},
) {
  const child = spawn(command, args, {
    cwd: init.cwd ?? app,
    env: userEnv(init.env),
    stdio: [init.input ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    detached: init.detached ?? false,
  });
  started.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
  });
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  const done = new Promise<Ran>((resolve) => {
    child.once('close', (code, signal) => {
      started.delete(child);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { child, done, output: () => stdout };
}

/** Runs `command args` to its end; fails the test with its output unless it exits 0. */
async function run(
  command: string,
  args: readonly string[],
  init: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<Ran> {
  const r = await start(command, args, init).done;
  if (r.code !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} exited ${r.code ?? r.signal}\n${r.stdout}${r.stderr}`,
    );
  }
  return r;
}

beforeAll(async () => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'cs-pkg-')));
  app = join(dir, 'app');
  // `npm pack` builds the package itself (`prepare`).
  const packed = await run('npm', ['pack', '--json', '--pack-destination', dir], { cwd: ROOT });
  const [{ filename }] = JSON.parse(packed.stdout) as [{ filename: string }];
  const tarball = join(dir, filename);

  await run('mkdir', [app], { cwd: dir });
  await run('npm', ['init', '-y']);
  await run('npm', ['pkg', 'set', 'type=module']);
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
    optionalDependencies?: Record<string, string>;
  };
  const deps = [
    ...Object.keys(manifest.dependencies),
    ...Object.keys(manifest.optionalDependencies ?? {}),
  ].map((name) => `file:${join(ROOT, 'node_modules', name)}`);
  await run('npm', ['install', '--offline', '--ignore-scripts', tarball, ...deps]);
}, 180_000);

afterAll(() => {
  for (const child of started) child.kill('SIGKILL');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the packed package, installed in a new project', () => {
  it('ships compiled JavaScript and declarations, and a bin that runs them', () => {
    const installed = join(app, 'node_modules/callsign');
    const pkg = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
    expect(pkg.exports['.']).toEqual({
      types: './dist/src/index.d.ts',
      import: './dist/src/index.js',
    });
    const front = [
      'dist/callsign-front.cjs',
      'dist/callsign-front.json',
      'dist/callsign-front.cache',
    ];
    for (const file of ['dist/src/index.js', 'dist/src/index.d.ts', ...front]) {
      expect(() => readFileSync(join(installed, file))).not.toThrow();
    }
    // No TypeScript sources: a user's Node never has to strip types in node_modules.
    expect(() => readFileSync(join(installed, 'src/index.ts'))).toThrow();
    expect(readFileSync(join(installed, 'bin/callsign.js'), 'utf8')).toMatch(/callsign-front\.cjs/);
  });

  it('lets two plain JavaScript programs exchange messages, through a host directory', async () => {
    writeFileSync(
      join(app, 'messages.js'),
      `import { defineMessage, t } from 'callsign';
export class Hello extends defineMessage('app.Hello', { name: t.string }) {}
export class Welcome extends defineMessage('app.Welcome', { text: t.string }) {}
`,
    );
    writeFileSync(
      join(app, 'publisher.js'),
      `import { createNode, publish, Published, Stop } from 'callsign';
import { Hello, Welcome } from './messages.js';
createNode(async (self) => {
  publish(self, 'greeter');
  await self.select(Published);
  self.console('published');
  for (;;) {
    const m = await self.select(Hello, Stop);
    if (m instanceof Stop) return 'stopped';
    self.reply(new Welcome({ text: 'Welcome, ' + m.name }));
  }
});
`,
    );
    writeFileSync(
      join(app, 'subscriber.js'),
      `import { Available, createNode, SelectTimer, subscribe } from 'callsign';
import { Hello, Welcome } from './messages.js';
createNode(async (self) => {
  subscribe(self, 'greeter');
  const a = await self.select(Available, { seconds: 20 });
  if (a instanceof SelectTimer) return 'no greeter';
  self.send(new Hello({ name: 'a user' }), self.returnAddress);
  const w = await self.select(Welcome, { seconds: 20 });
  return w instanceof SelectTimer ? 'no welcome' : { text: w.text };
});
`,
    );
    const host = {
      CALLSIGN_HOST: `unix:${join(dir, 'host.sock')}`,
      CALLSIGN_NO_HOST: '',
      CALLSIGN_REALM: join(dir, 'realm.json'),
    };
    await run('npx', ['callsign', 'host', 'start'], { env: host });
    try {
      // Plain `node`: no TypeScript loader anywhere.
      const publisher = start('node', ['publisher.js', '--debug-level=CONSOLE'], { env: host });
      const subscriber = await run('node', ['subscriber.js'], { env: host });
      expect(JSON.parse(subscriber.stdout)).toEqual({ text: 'Welcome, a user' });
      publisher.child.kill('SIGTERM');
      const ended = await publisher.done;
      expect(ended.code, ended.stderr).toBe(0);
      expect(ended.stderr).toMatch(/published/);
      expect(JSON.parse(ended.stdout)).toBe('stopped');
    } finally {
      await start('npx', ['callsign', 'host', 'stop'], { env: host }).done;
    }
  });

  it("compiles a TypeScript program with `tsc --init`'s defaults and module nodenext, and runs it", async () => {
    await run('node', [TSC, '--init']);
    const config = readFileSync(join(app, 'tsconfig.json'), 'utf8');
    expect(config).toMatch(/"exactOptionalPropertyTypes": true/);
    writeFileSync(
      join(app, 'tsconfig.json'),
      config.replace(/"module": "[^"]*"/, '"module": "nodenext"'),
    );
    writeFileSync(
      join(app, 'greet.ts'),
      `import { type ActorContext, createNode, defineMessage, SelectTimer, t } from 'callsign';

export class Ping extends defineMessage('app.Ping', { n: t.int }) {}

async function echo(self: ActorContext): Promise<string> {
  const m = await self.select(Ping);
  self.reply(new Ping({ n: m.n + 1 }));
  return 'echoed';
}

const factorySettings = { who: 'world', n: 41 };

async function main(self: ActorContext, settings: typeof factorySettings) {
  const child = self.create(echo);
  self.send(new Ping({ n: settings.n }), child);
  const answer = await self.select(Ping, { seconds: 10 });
  if (answer instanceof SelectTimer) return { greeting: 'no answer' };
  return { greeting: \`hello \${settings.who}\`, answer: answer.n };
}

createNode(main, { factorySettings });
`,
    );
    await run('node', [TSC, '-p', '.']);
    const ran = await run('node', ['greet.js', '--who=you']);
    expect(JSON.parse(ran.stdout)).toEqual({ greeting: 'hello you', answer: 42 });
  });

  it('runs a role of the project with `npx callsign create / add / run`', async () => {
    // The TypeScript source itself: callsign runs roles through its own tsx.
    await run('npx', ['callsign', 'create']);
    const added = await run('npx', ['callsign', 'add', 'greet.ts', 'greet']);
    expect(added.stdout).toBe('added greet (greet.ts)\n');
    await run('npx', ['callsign', 'update', 'greet', '--who=npx']);
    const ran = await run('npx', ['callsign', 'run', '--main-role=greet']);
    expect(JSON.parse(ran.stdout)).toEqual({ greeting: 'hello npx', answer: 42 });
    const status = await run('npx', ['callsign', 'status']);
    expect(status.stdout).toMatch(/^not running/);
  });

  it('ends `npx callsign log --follow` with 0 on Ctrl-C', async () => {
    writeFileSync(join(app, '.callsign/logs/greet.log'), `${new Date().toISOString()} ^ up\n`);
    // npx runs the command through npm's script shell. Where /bin/sh is dash,
    // dash itself dies of the Ctrl-C (it does not wait to see how its child
    // ended), and npm then exits 130 whatever callsign did: docs/cli.md says
    // so. With bash as the script shell, npx ends as callsign does.
    const follow = start('npx', ['--script-shell=bash', 'callsign', 'log', 'greet', '--follow'], {
      detached: true,
    });
    const deadline = Date.now() + 20_000;
    while (!follow.output().includes(' ^ up\n')) {
      if (Date.now() > deadline) throw new Error('callsign log printed nothing');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // A Ctrl-C: SIGINT to the whole process group (npm, its shell, callsign).
    process.kill(-(follow.child.pid as number), 'SIGINT');
    const ended = await follow.done;
    expect({ code: ended.code, signal: ended.signal }).toEqual({ code: 0, signal: null });
  });

  it("ends `npx callsign log --follow` with 0 on Ctrl-C typed at a terminal, through npm's own script shell", async () => {
    writeFileSync(join(app, '.callsign/logs/greet.log'), `${new Date().toISOString()} ^ up\n`);
    // script(1) runs the command on a terminal of its own, and what we write
    // to its input is typed at that terminal: a Ctrl-C there is what a user's
    // is. The terminal would send SIGINT to npm, to /bin/sh (dash on Debian,
    // which dies of it) and to callsign; callsign reads the key instead
    // (orchestrator/stop-keys.ts), so nobody gets a signal and all end with 0.
    if (spawnSync('script', ['--version']).error) {
      throw new Error('this test needs script(1): apt-get install bsdutils');
    }
    const follow = start('script', ['-qefc', 'npx callsign log greet --follow', '/dev/null'], {
      input: true,
      env: { SHELL: '/bin/sh' },
    });
    const deadline = Date.now() + 20_000;
    while (!follow.output().includes(' ^ up')) {
      if (Date.now() > deadline)
        throw new Error(`callsign log printed nothing: ${follow.output()}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    follow.child.stdin?.write('\x03');
    const ended = await follow.done;
    expect({ code: ended.code, signal: ended.signal }).toEqual({ code: 0, signal: null });
  });
});
