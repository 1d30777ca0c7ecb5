/**
 * `callsign view`: watches the network (watcher.ts), serves the page and
 * the state on 127.0.0.1 (server.ts), prints the page's URL with its token,
 * and runs until Ctrl-C or SIGTERM. Documented in docs/view.md.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Scope } from '../../src/directory/scope.ts';
import type { HostIo, RealmChoice } from '../host.ts';
import { PACKAGE_ROOT } from '../package-files.ts';
import { untilStopSignal } from '../signals.ts';
import { formatMetrics } from './prometheus.ts';
import { type Asset, startViewServer } from './server.ts';
import { newToken } from './token.ts';
import { NetworkWatcher, type ViewState } from './watcher.ts';

/** How long a request for the state or the metrics keeps the nodes counting (a scraper's interval). */
export const WATCHED_AFTER_ASKED_MS = 120_000;

/** Options of {@link serveView}. */
export interface ViewInit {
  realm: RealmChoice;
  /** 0 for an ephemeral port. */
  port: number;
  /** How far up to look. */
  reach: Scope;
  /** Management listings of stream servers to show. */
  streams: readonly string[];
  /** Between updates, in ms. */
  intervalMs: number;
}

/** The page's files: its own, and uPlot's as the package ships them. */
export function viewAssets(): { page: string; assets: Map<string, Asset> } {
  const dir = join(PACKAGE_ROOT, 'orchestrator/view/page');
  const require = createRequire(import.meta.url);
  const file = (path: string, type: string): Asset => ({ type, body: readFileSync(path) });
  return {
    page: readFileSync(join(dir, 'index.html'), 'utf8'),
    assets: new Map([
      ['view.js', file(join(dir, 'view.js'), 'text/javascript; charset=utf-8')],
      ['view.css', file(join(dir, 'view.css'), 'text/css; charset=utf-8')],
      [
        'uplot.js',
        file(require.resolve('uplot/dist/uPlot.iife.min.js'), 'text/javascript; charset=utf-8'),
      ],
      ['uplot.css', file(require.resolve('uplot/dist/uPlot.min.css'), 'text/css; charset=utf-8')],
    ]),
  };
}

/** Runs the view until a stop signal; gives the exit code. */
export async function serveView(init: ViewInit, io: HostIo): Promise<number> {
  const { page, assets } = viewAssets();
  let latest: ViewState | undefined;
  let latestText: string | undefined;
  const server = await startViewServer({
    port: init.port,
    token: newToken(),
    page,
    assets,
    state: () => latestText,
    metrics: () =>
      latest
        ? formatMetrics(
            latest.snapshot,
            latest.streams.flatMap((s) => s.streams),
          )
        : '',
    ready: () => latest?.ready === true,
  });
  const watcher = await NetworkWatcher.start({
    realm: init.realm,
    io,
    intervalMs: init.intervalMs,
    reach: init.reach,
    streams: init.streams,
    watched: () => server.clients > 0 || Date.now() - server.lastAsked < WATCHED_AFTER_ASKED_MS,
    onState: (state) => {
      latest = state;
      latestText = JSON.stringify(state);
      server.push(latestText);
    },
  });
  io.stdout(`callsign view: ${server.url}\n`);
  io.stdout(
    `  /metrics, /alive, /ready and /api/state take the token too: ?token= or Authorization: Bearer\n`,
  );
  io.stdout('  read-only, on this machine only (Ctrl-C to stop)\n');
  await untilStopSignal();
  await watcher.stop();
  await server.close();
  return 0;
}
