import { existsSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { chromium } from 'playwright-core';

/** Debian's chromium (apt-get install chromium; scripts/services.sh up installs it). */
export const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) =>
  existsSync(p),
);

export interface WatchedPage {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Uncaught exceptions and console errors of the page, in order. */
  pageErrors: string[];
  /** Requests to any host but loopback: refused, and listed here. */
  offMachine: string[];
  /**
   * API answers of 400 or more, as `STATUS METHOD path`: Chromium logs each as a console error,
   * so they are kept apart for the test to compare with the ones it caused on purpose.
   */
  httpErrors: string[];
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * A fresh headless Chromium page that fails nothing by itself but records what a test must
 * check: every uncaught page error and console error, and every request that would leave the
 * machine (it is aborted before it goes out).
 */
export async function openWatchedPage(): Promise<WatchedPage> {
  if (CHROMIUM === undefined) throw new Error('no chromium: apt-get install -y chromium');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // As root (CI), Chromium's sandbox cannot start; nothing but our own pages is loaded.
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  const pageErrors: string[] = [];
  const offMachine: string[] = [];
  page.on('pageerror', (err) => pageErrors.push(`pageerror: ${err.message}`));
  const httpErrors: string[] = [];
  page.on('response', (res) => {
    if (res.status() >= 400)
      httpErrors.push(`${res.status()} ${res.request().method()} ${new URL(res.url()).pathname}`);
  });
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    // The network log line of an answer already in httpErrors.
    if (/^Failed to load resource: the server responded with a status of \d+/.test(msg.text()))
      return;
    pageErrors.push(`console.error: ${msg.text()}`);
  });
  await context.route('**/*', async (route) => {
    const url = new URL(route.request().url());
    if (url.protocol === 'data:' || LOOPBACK.has(url.hostname)) return route.continue();
    offMachine.push(url.href);
    return route.abort('blockedbyclient');
  });
  return {
    browser,
    context,
    page,
    pageErrors,
    offMachine,
    httpErrors,
    close: () => browser.close(),
  };
}
