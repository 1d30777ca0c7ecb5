import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { onTestFinished } from 'vitest';

/** The project's root folder. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** A program started as a user starts one, with its output collected. */
export interface Program {
  child: ChildProcess;
  readonly stdout: string;
  readonly stderr: string;
  /** Resolves when stderr (or stdout) has a line matching `pattern`; rejects if the program exits first or time runs out. */
  waitFor(pattern: RegExp, ms?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code (or the signal's name) when the program ends. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** stdout parsed as the one JSON document of the program's output. */
  output(): Promise<unknown>;
}

/** A fresh temporary folder, removed when the test finishes. */
export function tempDir(prefix = 'callsign-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The folders `npm run build` compiles into `dist/` (tsconfig.build.json). */
const OWN_CODE = /^(?:src|scopes|orchestrator)\/.*\.ts$/;

/** The tests' own programs, which the projects' global setup compiles (test/helpers/test-programs.ts). */
const TEST_PROGRAM = /^test\/(?:integration|lan)\/programs\/[^/]+\.ts$/;

/**
 * The arguments of `node` that run `file` (relative to the project root) as a
 * user runs it. One of callsign's own programs (`scopes/host/directory.ts`,
 * say) runs compiled from `dist/`, as `callsign` starts it and an installed
 * package has it; the projects that spawn programs build `dist/` first
 * (test/helpers/build.ts). Inside a test run, a program of the tests'
 * own (`test/lan/programs/lan-watch.ts`, say) runs compiled too, from
 * `dist/test/`, when the global setup compiled it. Plain JavaScript
 * (`bin/callsign.js`) runs as it is. Everything else, a user's TypeScript
 * program (the examples), runs with `node --import tsx`, as the README tells
 * users to.
 */
export function nodeArguments(file: string, args: readonly string[] = []): string[] {
  if (OWN_CODE.test(file)) return [join(ROOT, 'dist', file.replace(/\.ts$/, '.js')), ...args];
  if (file.endsWith('.js')) return [join(ROOT, file), ...args];
  if (TEST_PROGRAM.test(file) && process.env.VITEST) {
    const compiled = join(ROOT, 'dist', file.replace(/\.ts$/, '.js'));
    if (existsSync(compiled)) return [compiled, ...args];
  }
  return ['--import', 'tsx', join(ROOT, file), ...args];
}

/**
 * Starts `file` (relative to the project root) as a user would
 * ({@link nodeArguments}). The program is killed when the test finishes.
 */
export function startProgram(
  file: string,
  args: string[] = [],
  env: NodeJS.ProcessEnv = {},
): Program {
  const child = spawn(process.execPath, nodeArguments(file, args), {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const program = watchProgram(child, file);
  onTestFinished(async () => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      child.kill('SIGKILL');
      await program.exited;
    }
  });
  return program;
}

/** Runs `file` to the end and returns its exit code, output and stderr. */
export async function runProgram(
  file: string,
  args: string[] = [],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = startProgram(file, args, env);
  const { code } = await p.exited;
  return { code, stdout: p.stdout, stderr: p.stderr };
}

/**
 * Collects a child's output and gives the {@link Program} view of it. The
 * exit is reported once the last output has arrived (or half a second after
 * the exit, if something the program left behind holds its pipes open).
 */
export function watchProgram(child: ChildProcess, label: string): Program {
  let stdout = '';
  let stderr = '';
  const watchers = new Set<() => void>();
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
    for (const w of watchers) w();
  });
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
    for (const w of watchers) w();
  });
  let ended = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => {
    child.on('error', (err) => {
      stderr += `${err.message}\n`;
      ended = true;
      res({ code: null, signal: null });
      for (const w of watchers) w();
    });
    const closed = new Promise<void>((r) => child.on('close', () => r()));
    child.on('exit', (code, signal) => {
      // Let the last output arrive, unless something the program left behind
      // holds its pipes open.
      void atMost(closed, 500).then(() => {
        ended = true;
        res({ code, signal });
        for (const w of watchers) w();
      });
    });
  });
  return {
    child,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    exited,
    waitFor(pattern, ms = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = stderr.match(pattern) ?? stdout.match(pattern);
          if (m) {
            done();
            resolve(m);
          } else if (ended) {
            done();
            reject(
              new Error(
                `${label} exited before printing ${pattern}\nstdout: ${stdout}\nstderr: ${stderr}`,
              ),
            );
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(
            new Error(
              `${label} did not print ${pattern} within ${ms} ms\nstdout: ${stdout}\nstderr: ${stderr}`,
            ),
          );
        }, ms);
        const done = () => {
          clearTimeout(timer);
          watchers.delete(check);
        };
        watchers.add(check);
        check();
      });
    },
    async output() {
      const { code, signal } = await exited;
      try {
        return JSON.parse(stdout);
      } catch {
        throw new Error(
          `${label} (exit ${code ?? signal}) printed no JSON output\nstdout: ${stdout}\nstderr: ${stderr}`,
        );
      }
    },
  };
}

/** Waits for `promise`, but at most `ms`. */
export async function atMost(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([promise, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
