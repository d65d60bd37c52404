/**
 * The Brook Console's time to first screen on the local stack
 * (`npx tsx bench/console.ts`): Debian's chromium (as the console's browser
 * tests drive it) opens `/console` with the key already in the tab's
 * sessionStorage, in a fresh browser context each time (a cold load: no
 * cache), and we time from the navigation's start until the overview shows
 * its heading and its counts (the data). The stack holds a few topics, a
 * consumer group with lag and a subscription, so the overview has work to do.
 * Also the size of `dist/console/app.js`, gzipped. Target: under 1 s.
 *
 * Options (env): BENCH_CONSOLE_LOADS (10). Prints a table and writes
 * bench/results/console.json.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { buildConsole } from '../scripts/build.js';
import { localStackForTests } from '../test/helpers/localStack.js';

const LOADS = Number(process.env.BENCH_CONSOLE_LOADS ?? 10);
const TARGET_MS = 1_000;
const CONSOLE_DIR = join('dist', 'console');
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/**
 * Runs in the page before its own script: puts the key in sessionStorage and
 * notes `performance.now()` (ms since the navigation started) once the
 * overview's heading and counts are both in the page.
 */
const firstScreenProbe = (key: string) => `
  sessionStorage.setItem('brook.console.key', ${JSON.stringify(key)});
  new MutationObserver((_, observer) => {
    const heading = document.querySelector('main h1');
    if (heading && heading.textContent === 'Overview' && document.querySelector('.counts')) {
      window.firstScreenMs = performance.now();
      observer.disconnect();
    }
  }).observe(document, { childList: true, subtree: true });
`;

async function seed(url: string, key: string): Promise<void> {
  const call = async (method: string, path: string, body: unknown) => {
    const response = await fetch(`${url}/v1${path}`, { method, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  };
  for (const name of ['orders', 'payments', 'audit']) await call('POST', '/topics', { name, partitions: 3 });
  await call('POST', '/topics/orders/records', { records: Array.from({ length: 30 }, (_, i) => ({ key: `customer-${i}`, value: { total: i } })) });
  await call('POST', '/groups/billing/offsets/reset', { topic: 'orders', to: 'earliest' });
  await call('POST', '/subscriptions', { name: 'audit-hook', topic: 'audit', target: { type: 'http', url: 'http://127.0.0.1:9/hook' }, startAt: 'latest' });
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

await buildConsole(CONSOLE_DIR);
const appJsGzipBytes = gzipSync(await readFile(join(CONSOLE_DIR, 'app.js'))).length;
const stack = await localStackForTests({ prefix: 'brook-bench-console-', consoleDir: CONSOLE_DIR });
const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
try {
  await seed(stack.url, stack.adminKey);
  const loads: number[] = [];
  for (let i = 0; i <= LOADS; i++) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    try {
      await context.addInitScript(firstScreenProbe(stack.adminKey));
      const page = await context.newPage();
      await page.goto(`${stack.url}/console`);
      await page.locator('.counts').waitFor({ timeout: 30_000 });
      await page.waitForFunction('window.firstScreenMs !== undefined');
      const ms = (await page.evaluate('window.firstScreenMs')) as number;
      if (i > 0) loads.push(ms); // the first load warms the stack's handlers, not the browser
    } finally {
      await context.close();
    }
  }
  const sorted = [...loads].sort((a, b) => a - b);
  const result = {
    loads: LOADS,
    firstScreenMs: { median: Math.round(percentile(sorted, 50)), p95: Math.round(percentile(sorted, 95)), max: Math.round(sorted.at(-1)!), trials: sorted.map(Math.round) },
    appJsGzipKB: Math.round(appJsGzipBytes / 102.4) / 10,
    targetMs: TARGET_MS,
  };
  console.log(`Brook Console: time to first screen (navigation to the overview with its counts), ${LOADS} cold loads on the local stack`);
  console.table({
    'first screen (ms)': { median: result.firstScreenMs.median, p95: result.firstScreenMs.p95, max: result.firstScreenMs.max },
  });
  console.log(`app.js gzipped: ${result.appJsGzipKB} KB; target: first screen under ${TARGET_MS} ms`);
  await mkdir('bench/results', { recursive: true });
  await writeFile('bench/results/console.json', `${JSON.stringify(result, null, 2)}\n`);
} finally {
  await browser.close();
  await stack.stop();
}
