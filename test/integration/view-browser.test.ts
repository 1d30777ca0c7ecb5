// The view's page in a real headless browser: Debian's chromium, driven by
// puppeteer-core (which downloads no browser). A strain gauge publishes, a
// monitor subscribes; the page shows the listing and the session with a
// rate above zero, then, once the gauge is killed, the listing and the
// session gone and its node lost. Screenshots of both moments are saved
// under artifacts/ (see docs/testing.md).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chromium, openBrowser, until } from '../helpers/browser.ts';
import { ROOT } from '../helpers/processes.ts';
import { stateWhere, viewedNetwork } from './programs/view-network.ts';

/** Where the screenshots go. */
const ARTIFACTS = join(ROOT, 'artifacts');

const LISTING = `document.querySelector('#listings tr[data-listing="strain-0"]')`;
const SESSION = `document.querySelector('#sessions tr[data-name="strain-0"]')`;

describe('the page of callsign view, in chromium', () => {
  it('shows the listing and the session with their rates, then the publisher gone', async () => {
    const executable = chromium();
    expect(executable).toBeTruthy();
    const n = await viewedNetwork();
    const browser = await openBrowser();
    const page = await browser.newPage();
    await page.setViewport({ width: 1400, height: 900 });
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(String(err)));
    await page.goto(n.url.href);

    await until(
      page,
      'live over the websocket',
      `document.getElementById('status').dataset.status === 'live'`,
    );
    await until(page, 'the listing strain-0 with a rate', `Number(${LISTING}?.dataset.rate) > 0`);
    await until(
      page,
      'the session of strain-0 with a rate',
      `Number(${SESSION}?.dataset.rate) > 0`,
    );
    const shown = (await page.evaluate(`(() => {
      const cells = (tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent);
      return {
        listing: cells(${LISTING}),
        session: cells(${SESSION}),
        charts: document.querySelectorAll('#sessions tr[data-name="strain-0"] .chart canvas').length,
        nodes: [...document.querySelectorAll('#tree li[data-kind="node"]')].map((li) => li.dataset.lost),
        host: document.querySelector('#tree li[data-kind="directory"]')?.textContent ?? '',
      };
    })()`)) as {
      listing: string[];
      session: string[];
      charts: number;
      nodes: string[];
      host: string;
    };
    expect(shown.listing[0]).toBe('strain-0');
    expect(Number(shown.listing[4])).toBeGreaterThan(0);
    expect(shown.session[1]).toMatch(/^monitor/);
    expect(Number(shown.session[4])).toBeGreaterThan(0);
    // uPlot drew the session's chart.
    expect(shown.charts).toBeGreaterThan(0);
    expect(shown.host).toMatch(/^host\s*directory unix:/);
    expect(shown.nodes.length).toBeGreaterThanOrEqual(2);
    // A few seconds of the chart before the screenshot, so that it shows a line.
    await stateWhere(
      n,
      (s) => (Object.values(s.series).some((x) => x.t.length >= 8) ? true : undefined),
      'eight points of a chart',
    );
    await until(
      page,
      'the next state',
      `document.getElementById('at').textContent !== ${JSON.stringify('')}`,
    );
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'view-browser.png'), fullPage: true });

    // The publisher ends: its listing and its session go, its node shows lost.
    n.publisher.child.kill('SIGKILL');
    await n.publisher.exited;
    await until(page, 'the listing and the session gone', `!${LISTING} && !${SESSION}`);
    await until(
      page,
      "the publisher's node lost",
      `[...document.querySelectorAll('#tree li[data-kind="node"][data-lost="true"]')].length === 1`,
    );
    await page.screenshot({ path: join(ARTIFACTS, 'view-browser-lost.png'), fullPage: true });
    expect(errors).toEqual([]);
  }, 120_000);
});
