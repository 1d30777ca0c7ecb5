/**
 * The child-process side of a stack: each `bench/stacks/<name>.ts` ends with
 * `if (isEntryModule(import.meta.url)) await runStackProcess(stack);`, so the
 * same file is both imported by the harness and run as its server and client.
 *
 * ```sh
 * node --import tsx bench/stacks/ws.ts server [--params '{}']
 * node --import tsx bench/stacks/ws.ts client --endpoint ws://127.0.0.1:PORT [--params '{}'] [--plan '{...}']
 * ```
 *
 * Both report JSON lines on stdout (see `protocol.ts`). The server runs until
 * it gets SIGTERM/SIGINT or its stdin pipe closes; the client measures its
 * plan (a short default one without `--plan`) and exits, or exits early when
 * its stdin pipe closes (the harness is gone).
 *
 * @module
 */
import { fstatSync, realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { measureRoundTrip, measureThroughput } from './measure.ts';
import { type ClientPlan, PAYLOAD_SIZES, report } from './protocol.ts';
import type { Stack, StackParams } from './stack.ts';

/** A plan for running a client child by hand: both sizes, short, all variants. */
function manualPlan(stack: Stack): ClientPlan {
  return {
    sizes: PAYLOAD_SIZES,
    roundTrip: { warmup: 500, iterations: 2_000, maxSeconds: 1 },
    throughput: {
      warmupBytes: 2e6,
      targetSeconds: 0.3,
      minCount: 1_000,
      maxBytes: 512e6,
      timeoutSeconds: 30,
    },
    variants: stack.variants.map((variant) => variant.id),
  };
}

/** Whether the module at `moduleUrl` (pass `import.meta.url`) is the program node was started with. */
export function isEntryModule(moduleUrl: string): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return realpathSync(resolve(entry)) === realpathSync(fileURLToPath(moduleUrl));
  } catch {
    return false;
  }
}

function parseParams(json: string | undefined): StackParams {
  if (json === undefined) return {};
  const value: unknown = JSON.parse(json);
  if (
    typeof value !== 'object' ||
    value === null ||
    Object.values(value).some((v) => typeof v !== 'string')
  ) {
    throw new TypeError('--params must be a JSON object of strings');
  }
  return value as StackParams;
}

/**
 * Calls `onClose` when stdin closes, if stdin is a pipe: the harness holds the
 * other end, so this is how a child notices that the harness is gone. (Run by
 * hand from a terminal or with `< /dev/null`, stdin is ignored.)
 */
function onStdinPipeClosed(onClose: () => void): void {
  try {
    if (!fstatSync(0).isFIFO()) return;
  } catch {
    return;
  }
  process.stdin.once('end', onClose);
  process.stdin.once('error', onClose);
  process.stdin.resume();
}

/** Resolves at the first of: stdin (a pipe) closing, SIGTERM, SIGINT. */
function shutdownRequested(): Promise<string> {
  return new Promise((resolve) => {
    onStdinPipeClosed(() => resolve('stdin closed'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
}

async function runServer(stack: Stack, params: StackParams): Promise<void> {
  const server = await stack.serve(params);
  report({ type: 'ready', endpoint: server.endpoint });
  await shutdownRequested();
  await server.close();
}

async function runClient(
  stack: Stack,
  endpoint: string,
  params: StackParams,
  plan: ClientPlan,
): Promise<void> {
  // The harness going away closes stdin: stop at once rather than measure for nobody.
  onStdinPipeClosed(() => process.exit(1));
  const client = await stack.connect(endpoint, params);
  try {
    for (const size of plan.sizes) report(await measureRoundTrip(client, size, plan.roundTrip));
    for (const variant of plan.variants) {
      for (const size of plan.sizes) {
        report(await measureThroughput(client, size, variant, plan.throughput));
      }
    }
    report({ type: 'done' });
  } finally {
    await client.close();
  }
}

/**
 * Runs this process as the `server` or `client` child of `stack`, as chosen by
 * the command line, and exits when done. Failures are reported as an `error`
 * line and exit code 1.
 */
export async function runStackProcess(
  stack: Stack,
  argv: readonly string[] = process.argv.slice(2),
): Promise<never> {
  try {
    const { positionals, values } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        endpoint: { type: 'string' },
        params: { type: 'string' },
        plan: { type: 'string' },
      },
    });
    const params = parseParams(values.params);
    const [role] = positionals;
    if (role === 'server') {
      await runServer(stack, params);
    } else if (role === 'client') {
      if (values.endpoint === undefined) throw new Error('client needs --endpoint');
      const plan =
        values.plan === undefined ? manualPlan(stack) : (JSON.parse(values.plan) as ClientPlan);
      await runClient(stack, values.endpoint, params, plan);
    } else {
      throw new Error(`usage: ${stack.name}.ts server|client [--endpoint E] [--params JSON]`);
    }
    process.exit(0);
  } catch (error) {
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    report({ type: 'error', message });
    process.exit(1);
  }
}
