// Debian's chromium driven by puppeteer-core (which downloads no browser), for
// the tests of the view's page.
import { existsSync } from 'node:fs';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { onTestFinished } from 'vitest';

/** Debian's chromium, or `CALLSIGN_CHROMIUM`. */
export function chromium(): string {
  const path = process.env.CALLSIGN_CHROMIUM || '/usr/bin/chromium';
  if (!existsSync(path)) {
    throw new Error(
      `the browser test needs Debian's chromium at ${path}: apt-get install chromium (or set CALLSIGN_CHROMIUM to a chromium binary)`,
    );
  }
  return path;
}

export async function openBrowser(): Promise<Browser> {
  const browser = await puppeteer.launch({
    executablePath: chromium(),
    headless: true,
    // As root (CI), chromium runs only without its sandbox.
    args: [
      ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
      '--disable-dev-shm-usage',
      '--disable-gpu',
    ],
  });
  onTestFinished(() => browser.close());
  return browser;
}

/** Waits until `fn` is true in the page; says what did not happen, and what the page shows. */
export async function until(page: Page, what: string, fn: string): Promise<void> {
  try {
    await page.waitForFunction(fn, { timeout: 30_000, polling: 200 });
  } catch (err) {
    const text = await page.evaluate('document.body.innerText').catch(() => '?');
    throw new Error(`${what} did not show: ${String(err)}\nthe page showed:\n${String(text)}`);
  }
}
