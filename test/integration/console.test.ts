/**
 * The Brook Console in a real browser: Debian's chromium driven by
 * playwright-core, against a local stack of this file's own serving the
 * console built from console/ now. Pastes the admin key, creates a topic,
 * produces through the form, finds the record in the message browser by
 * offset and by key, reads every partition at once, tails a topic live,
 * scrolls 10,000 records, charts a group's lag and resets its offsets (dry
 * run, then apply), deletes a group, creates a subscription (its secret
 * shown once), sees a forbidden message with a key that lacks the right,
 * checks every screen at 390 px, with named controls the keyboard reaches,
 * and saves a screenshot of each main screen to docs/console/.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildConsole } from '../../scripts/build.js';
import { localStackForTests, type LocalStackForTests } from '../helpers/localStack.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const SCREENSHOTS = fileURLToPath(new URL('../../docs/console/', import.meta.url));
const WIDE = { width: 1280, height: 800 };
const NARROW = { width: 390, height: 800 };

let stack: LocalStackForTests;
let consoleDir: string;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

/** Calls the API with a key, as the tests' own client (not through the console). */
async function api<T = unknown>(key: string, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${stack.url}/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

/** Follows a link of the navigation bar. */
async function go(screen: string): Promise<void> {
  await page.getByRole('navigation', { name: 'screens' }).getByRole('link', { name: screen, exact: true }).click();
}

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: the console's browser tests need Debian's chromium (sudo apt-get install -y chromium; .ci/run installs it)`);
  }
  consoleDir = await mkdtemp(join(tmpdir(), 'brook-console-dist-'));
  await mkdir(SCREENSHOTS, { recursive: true });
  [stack, browser] = await Promise.all([
    buildConsole(consoleDir).then(() => localStackForTests({ prefix: 'brook-console-', consoleDir })),
    chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true }),
  ]);
  page = await browser.newPage({ viewport: WIDE });
  page.setDefaultTimeout(10_000);
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') pageErrors.push(message.text());
  });
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  if (consoleDir) await rm(consoleDir, { recursive: true, force: true });
});

describe('Brook Console', () => {
  let produced: { partition: number; offset: number };

  it('shows the key screen, then the overview once the admin key is pasted (kept in sessionStorage, not in the URL)', async () => {
    const started = Date.now();
    await page.goto(`${stack.url}/console`);
    await page.locator('#api-key').waitFor();
    const firstScreenMs = Date.now() - started;
    console.log(`console: first screen in ${firstScreenMs} ms`);
    await shot('key');

    await page.fill('#api-key', 'brook_not-a-key');
    await page.getByRole('button', { name: 'use this key' }).click();
    await expect.poll(() => page.locator('[role=alert]').textContent()).toContain('UNAUTHENTICATED');

    await page.fill('#api-key', stack.adminKey);
    const signingIn = Date.now();
    await page.getByRole('button', { name: 'use this key' }).click();
    await page.locator('.counts').waitFor();
    console.log(`console: overview with its counts ${Date.now() - signingIn} ms after the key was given`);
    expect(await page.evaluate<string | null>("sessionStorage.getItem('brook.console.key')")).toBe(stack.adminKey);
    expect(page.url()).not.toContain(stack.adminKey);
  });

  it('creates a topic and shows its partitions', async () => {
    await go('Topics');
    const form = page.locator('form[aria-label="create a topic"]');
    await form.locator('input[name=name]').fill('orders');
    await form.locator('input[name=partitions]').fill('3');
    await form.locator('input[name=retention]').fill('24');
    await form.getByRole('button', { name: 'create' }).click();
    await page.getByRole('link', { name: 'orders', exact: true }).waitFor();
    await page.locator('input[type=search]').fill('ord');
    await shot('topics');

    const described = await api<{ config: { retentionMs: number }; partitions: unknown[] }>(stack.adminKey, 'GET', '/topics/orders');
    expect(described.config.retentionMs).toBe(86_400_000);
    expect(described.partitions).toHaveLength(3);

    await page.getByRole('link', { name: 'orders', exact: true }).click();
    await page.getByRole('heading', { name: 'Topic orders' }).waitFor();
    await expect.poll(() => page.locator('tbody tr').count()).toBe(3); // the heading shows before the description loads
    expect(await page.locator('dl.facts').textContent()).toContain('1 d');
  });

  it('alters a topic: more partitions, retention, cleanup policy', async () => {
    await api(stack.adminKey, 'POST', '/topics', { name: 'grow' });
    await page.evaluate("location.hash = '#/topics/grow'");
    const form = page.locator('form[aria-label="alter the topic"]');
    await form.waitFor();
    await form.locator('input[name=partitions]').fill('2');
    await form.locator('input[name=retention]').fill('48');
    await form.locator('select[name=cleanupPolicy]').selectOption('compact');
    await form.getByRole('button', { name: 'alter' }).click();
    await form.getByRole('status').filter({ hasText: 'topic grow altered' }).waitFor();
    await expect.poll(() => page.locator('tbody tr').count()).toBe(2);
    const described = await api<{ config: { retentionMs: number; cleanupPolicy: string }; partitions: unknown[] }>(stack.adminKey, 'GET', '/topics/grow');
    expect(described).toMatchObject({ config: { retentionMs: 172_800_000, cleanupPolicy: 'compact' } });
    expect(described.partitions).toHaveLength(2);
  });

  it('deletes a topic only once its name is typed', async () => {
    await api(stack.adminKey, 'POST', '/topics', { name: 'scratch' });
    await go('Topics');
    const row = page.locator('tr', { has: page.getByRole('link', { name: 'scratch', exact: true }) });
    await row.getByRole('button', { name: 'delete…' }).click();
    const confirm = row.getByRole('button', { name: 'delete topic' });
    expect(await confirm.isDisabled()).toBe(true);
    await row.getByLabel('type scratch to delete it').fill('scratc');
    expect(await confirm.isDisabled()).toBe(true);
    await row.getByLabel('type scratch to delete it').fill('scratch');
    await confirm.click();
    await page.getByRole('status').filter({ hasText: 'topic scratch deleted' }).waitFor();
    await expect.poll(() => page.getByRole('link', { name: 'scratch', exact: true }).count()).toBe(0); // once the list has reloaded
    await expect(api(stack.adminKey, 'GET', '/topics/scratch')).rejects.toThrow('TOPIC_NOT_FOUND');
  });

  it('produces a record through the form and shows where it went', async () => {
    // A failing subscription and a group with lag, for the overview.
    await api(stack.adminKey, 'POST', '/subscriptions', {
      name: 'billing-webhook',
      topic: 'orders',
      target: { type: 'http', url: 'http://127.0.0.1:9/hook' },
      startAt: 'earliest',
      maxRetries: -1,
    });
    await api(stack.adminKey, 'POST', '/topics/orders/records', {
      records: [
        { key: 'customer-1', value: { total: 7 } },
        { key: 'customer-2', value: 'hello' },
        { key: 'customer-3', value: 'again', headers: { source: 'test' } },
      ],
    });

    await go('Produce');
    const form = page.locator('form[aria-label="produce a record"]');
    await form.locator('select[name=topic]').selectOption('orders');
    await form.locator('input[name=key]').fill('customer-42');
    await form.locator('textarea[name=value]').fill('{"total": 42, "items": ["a", "b"]}');
    await form.locator('textarea[name=headers]').fill('source: console\ntrace: t-1');
    await form.getByRole('button', { name: 'produce' }).click();
    const answer = page.locator('.produced');
    await answer.waitFor();
    produced = {
      partition: Number(await answer.locator('[data-partition]').getAttribute('data-partition')),
      offset: Number(await answer.locator('[data-offset]').getAttribute('data-offset')),
    };
    await shot('produce');

    const fetched = await api<{ records: { key: string; headers: Record<string, string> }[] }>(
      stack.adminKey,
      'GET',
      `/topics/orders/partitions/${produced.partition}/records?offset=${produced.offset}&maxRecords=1`,
    );
    expect(fetched.records[0]).toMatchObject({ key: 'customer-42', headers: { source: 'console', trace: 't-1' } });
  });

  it('finds the record in the message browser by offset and by key filter', async () => {
    await go('Messages');
    const form = page.locator('form[aria-label="where to read"]');
    // Choosing a topic resets the partition once its partitions are known: choose the partition after that, and check it held.
    const partitionSelect = form.locator('select[name=partition]');
    await form.locator('select[name=topic]').selectOption('orders');
    await expect.poll(() => partitionSelect.locator(`option[value="${produced.partition}"]`).count()).toBe(1);
    await expect
      .poll(async () => {
        await partitionSelect.selectOption(String(produced.partition));
        return partitionSelect.inputValue();
      })
      .toBe(String(produced.partition));
    await form.locator('select[name=mode]').selectOption('offset');
    await form.locator('input[name=offset]').fill(String(produced.offset));
    await expect.poll(() => partitionSelect.inputValue()).toBe(String(produced.partition));
    await form.getByRole('button', { name: 'read' }).click();
    const row = page.locator(`tr[data-offset="${produced.offset}"]`);
    await row.waitFor();
    expect(await row.locator('.key').textContent()).toBe('customer-42');
    expect(await row.textContent()).toContain('trace: t-1');

    await form.locator('select[name=mode]').selectOption('earliest');
    await form.getByRole('button', { name: 'read' }).click();
    await expect.poll(() => page.locator('.toolbar .muted').textContent()).toMatch(/^offsets 0–/);
    await page.locator('input[name=keyFilter]').fill('customer-42');
    await expect.poll(() => page.locator('table.records tbody tr[data-offset]').count()).toBe(1);
    expect(await page.locator('table.records tbody tr[data-offset]').getAttribute('data-offset')).toBe(String(produced.offset));

    await page.locator('select[name=view]').selectOption('json');
    await expect.poll(() => row.locator('pre').textContent()).toBe(JSON.stringify({ total: 42, items: ['a', 'b'] }, null, 2));
    await shot('messages');
    await page.locator('select[name=view]').selectOption('base64');
    await expect.poll(() => row.locator('pre').textContent()).toBe(Buffer.from('{"total": 42, "items": ["a", "b"]}').toString('base64'));
    await page.locator('select[name=view]').selectOption('hex');
    await expect.poll(() => row.locator('pre').textContent()).toBe('7b 22 74 6f 74 61 6c 22 3a 20 34 32 2c 20 22 69 74 65 6d 73 22 3a 20 5b 22 61 22 2c 20 22 62 22 5d 7d');
    expect(await row.locator('.key').textContent()).toBe(Buffer.from('customer-42').toString('hex').replace(/(..)(?!$)/g, '$1 '));
    await page.locator('select[name=view]').selectOption('text');
    await page.locator('input[name=keyFilter]').fill('');

    // From a time before every record: the earliest offset.
    await form.locator('select[name=mode]').selectOption('time');
    await form.locator('input[name=time]').fill('2000-01-01T00:00:00');
    await form.getByRole('button', { name: 'read' }).click();
    await expect.poll(() => page.locator('.toolbar .muted').textContent()).toMatch(/^offsets 0–/);

    // The latest record but one, and paging forward from there.
    const { results } = await api<{ results: { offset: number }[] }>(stack.adminKey, 'POST', '/topics/orders/records', {
      records: [{ value: 'later-1', partition: produced.partition }, { value: 'later-2', partition: produced.partition }],
    });
    const first = String(results[0]!.offset);
    await form.locator('select[name=mode]').selectOption('latest');
    await form.locator('input[name=n]').fill('2');
    await form.locator('input[name=pageSize]').fill('1');
    await form.getByRole('button', { name: 'read' }).click();
    await expect.poll(() => page.locator('.toolbar .muted').textContent()).toMatch(new RegExp(`^offsets ${first}–${first} of`));
    await page.getByRole('button', { name: 'next page →' }).click();
    await expect.poll(() => page.locator('table.records tbody tr[data-offset]').getAttribute('data-offset')).toBe(String(Number(first) + 1));
    await page.getByRole('button', { name: '← previous page' }).click();
    await expect.poll(() => page.locator('table.records tbody tr[data-offset]').getAttribute('data-offset')).toBe(first);
  });

  /** Chooses a topic in the message browser, then a partition (or `all`) once the topic's partitions are known, and checks it held. */
  async function chooseInBrowser(topic: string, partition: string): Promise<void> {
    const form = page.locator('form[aria-label="where to read"]');
    const partitionSelect = form.locator('select[name=partition]');
    await form.locator('select[name=topic]').selectOption(topic);
    await expect.poll(() => partitionSelect.locator(`option[value="${partition}"]`).count()).toBe(1);
    await expect
      .poll(async () => {
        await partitionSelect.selectOption(partition);
        return partitionSelect.inputValue();
      })
      .toBe(partition);
  }

  /** The records listed, as `partition:offset`, top to bottom. */
  async function listedRecords(): Promise<string[]> {
    return page.locator('table.records tbody tr[data-offset]').evaluateAll((rows) => rows.map((r) => `${r.getAttribute('data-partition')}:${r.getAttribute('data-offset')}`));
  }

  it('reads every partition at once: merged in timestamp order with a partition column, paging forward and back', async () => {
    await api(stack.adminKey, 'POST', '/topics', { name: 'spread', partitions: 3 });
    const t0 = Date.now() - 60_000;
    // Produced partition by partition; their timestamps interleave: a (p0), b (p1), c (p2), d (p0), e (p1), f (p2).
    await api(stack.adminKey, 'POST', '/topics/spread/records', {
      records: [
        { key: 'a', value: 'a', partition: 0, timestamp: t0 },
        { key: 'd', value: 'd', partition: 0, timestamp: t0 + 30 },
        { key: 'b', value: 'b', partition: 1, timestamp: t0 + 10 },
        { key: 'e', value: 'e', partition: 1, timestamp: t0 + 40 },
        { key: 'c', value: 'c', partition: 2, timestamp: t0 + 20 },
        { key: 'f', value: 'f', partition: 2, timestamp: t0 + 50 },
      ],
    });
    const fetches: string[] = [];
    const onRequest = (request: { url(): string; method(): string }) => {
      if (request.method() === 'POST' && request.url().endsWith('/v1/fetch')) fetches.push(request.url());
    };
    page.on('request', onRequest);

    await go('Topics');
    await go('Messages'); // opened again, it lists the new topic
    await chooseInBrowser('spread', 'all');
    const form = page.locator('form[aria-label="where to read"]');
    await form.locator('select[name=mode]').selectOption('earliest');
    await form.locator('input[name=pageSize]').fill('4');
    await form.getByRole('button', { name: 'read' }).click();
    await expect.poll(listedRecords).toEqual(['0:0', '1:0', '2:0', '0:1']);
    expect(await page.locator('table.records tbody tr[data-offset] .key').allTextContents()).toEqual(['a', 'b', 'c', 'd']);
    expect(await page.locator('table.records tbody tr[data-offset] td.partition').allTextContents()).toEqual(['0', '1', '2', '0']);
    expect(await page.locator('.toolbar .muted').textContent()).toBe('4 records of 3 partitions');
    expect(fetches).toHaveLength(1); // all three partitions in one call

    await page.getByRole('button', { name: 'next page →' }).click();
    await expect.poll(listedRecords).toEqual(['1:1', '2:1']);
    expect(await page.getByRole('button', { name: 'next page →' }).isDisabled()).toBe(true); // every partition at its end
    await page.getByRole('button', { name: '← previous page' }).click();
    await expect.poll(listedRecords).toEqual(['0:0', '1:0', '2:0', '0:1']);

    // Latest minus N is per partition: the last record of each.
    await form.locator('select[name=mode]').selectOption('latest');
    await form.locator('input[name=n]').fill('1');
    await form.getByRole('button', { name: 'read' }).click();
    await expect.poll(listedRecords).toEqual(['0:1', '1:1', '2:1']);
    page.off('request', onRequest);
  });

  it('tails a topic live: new records appear as they are produced, until paused (the long poll aborted)', async () => {
    const isLongPoll = (request: { url(): string; method(): string; postData(): string | null }) =>
      request.method() === 'POST' && request.url().endsWith('/v1/fetch') && (JSON.parse(request.postData() ?? '{}') as { waitMs?: number }).waitMs === 20_000;
    const isAborted = (request: { url(): string; failure(): { errorText: string } | null }) =>
      request.url().endsWith('/v1/fetch') && /ABORTED/.test(request.failure()?.errorText ?? '');
    const tail = page.getByRole('button', { name: 'live tail' });
    const loadedBefore = await listedRecords();

    const firstPoll = page.waitForRequest(isLongPoll);
    await tail.click();
    await firstPoll;
    await expect.poll(() => page.locator('.toolbar .muted').textContent()).toMatch(/^live: /);
    const nextPoll = page.waitForRequest(isLongPoll);
    await api(stack.adminKey, 'POST', '/topics/spread/records', {
      records: [
        { key: 'tail-1', value: 'tail-1', partition: 1 },
        { key: 'tail-2', value: 'tail-2', partition: 2 },
      ],
    });
    await page.locator('tr[data-partition="1"][data-offset="2"]').waitFor();
    await page.locator('tr[data-partition="2"][data-offset="2"]').waitFor();
    // Appended to what was loaded, in the order they arrived (one long poll may bring one partition's, the next the other's).
    const listed = await listedRecords();
    expect(listed.slice(0, loadedBefore.length)).toEqual(loadedBefore);
    expect(listed.slice(loadedBefore.length).sort()).toEqual(['1:2', '2:2']);
    await nextPoll; // polling again for more

    const aborted = page.waitForEvent('requestfailed', isAborted);
    await page.getByRole('button', { name: 'pause' }).click();
    await aborted;
    await tail.waitFor();
    expect(await listedRecords()).toEqual(listed); // kept once paused

    // Choosing another partition stops it too.
    const polling = page.waitForRequest(isLongPoll);
    await tail.click();
    await polling;
    const abortedAgain = page.waitForEvent('requestfailed', isAborted);
    await page.locator('form[aria-label="where to read"] select[name=partition]').selectOption('0');
    await abortedAgain;
    await tail.waitFor();
  });

  it('renders only the rows in view of 10,000 loaded records (read in several fetches), and the others as it scrolls; the live tail keeps 10,000', async () => {
    await api(stack.adminKey, 'POST', '/topics', { name: 'bulk' });
    const TOTAL = 10_000;
    const BATCH = 2_500;
    // About 450 bytes a record: 10,000 of them are more than one 4 MiB fetch answer.
    const record = (i: number) => ({ key: `k-${i}`, value: i % 3 === 0 ? { line: i, text: 'x'.repeat(400 + (i % 50)) } : `record ${i} ${'y'.repeat(440)}` });
    for (let first = 0; first < TOTAL; first += BATCH) {
      await api(stack.adminKey, 'POST', '/topics/bulk/records', { records: Array.from({ length: BATCH }, (_, i) => record(first + i)) });
    }
    let fetches = 0;
    const onRequest = (request: { url(): string; method(): string }) => {
      if (request.method() === 'POST' && request.url().endsWith('/v1/fetch')) fetches++;
    };
    page.on('request', onRequest);

    await go('Topics');
    await go('Messages'); // opened again, it lists the new topic
    const form = page.locator('form[aria-label="where to read"]');
    await form.locator('select[name=topic]').selectOption('bulk');
    await form.locator('select[name=mode]').selectOption('earliest');
    await form.locator('input[name=pageSize]').fill(String(TOTAL));
    await form.getByRole('button', { name: 'read' }).click();
    await expect.poll(() => page.locator('.toolbar .muted').textContent(), { timeout: 20_000 }).toMatch(/^offsets 0–9999 of \[0, 10000\)/);
    page.off('request', onRequest);
    expect(fetches).toBeGreaterThanOrEqual(2);
    const rendered = await page.locator('table.records tbody tr[data-offset]').count();
    expect(rendered).toBeGreaterThan(5);
    expect(rendered).toBeLessThan(100);

    // Scrolled to the end, then again to the new end: rows measured taller than estimated make the list longer.
    await expect
      .poll(async () => {
        await page.evaluate("document.querySelector('.scroll.virtual').scrollTop = 1e9");
        return page.locator('tr[data-offset="9999"]').count();
      })
      .toBe(1);
    expect(await page.locator('tr[data-offset="0"]').count()).toBe(0);
    expect(await page.locator('table.records tbody tr[data-offset]').count()).toBeLessThan(100);
    await page.locator('input[name=keyFilter]').fill('k-2500');
    await expect.poll(() => page.locator('table.records tbody tr[data-offset]').getAttribute('data-offset')).toBe('2500');
    await page.locator('input[name=keyFilter]').fill('');

    // The live tail keeps at most 10,000 loaded: three more records drop the three oldest.
    const polling = page.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith('/v1/fetch') && ((JSON.parse(r.postData() ?? '{}') as { waitMs?: number }).waitMs ?? 0) > 0);
    await page.getByRole('button', { name: 'live tail' }).click();
    await polling;
    await api(stack.adminKey, 'POST', '/topics/bulk/records', { records: [record(TOTAL), record(TOTAL + 1), record(TOTAL + 2)] });
    await expect
      .poll(async () => {
        await page.evaluate("document.querySelector('.scroll.virtual').scrollTop = 1e9");
        return page.locator(`tr[data-offset="${TOTAL + 2}"]`).count();
      })
      .toBe(1);
    expect(await page.locator('.toolbar .muted').textContent()).toBe('live: 10000 records loaded, waiting for more');
    await page.getByRole('button', { name: 'pause' }).click();
    await page.evaluate("document.querySelector('.scroll.virtual').scrollTop = 0");
    await expect.poll(() => page.locator('table.records tbody tr[data-offset]').first().getAttribute('data-offset')).toBe('3');
  }, 60_000);

  it('shows the overview, groups and subscriptions, failing and lagging first', async () => {
    await api(stack.adminKey, 'POST', '/groups/billing/offsets/reset', { topic: 'orders', to: 'earliest' });
    await api(stack.adminKey, 'POST', '/groups/billing/members', { topics: ['orders'], sessionTimeoutMs: 300_000, clientId: 'billing-1' });
    await expect
      .poll(async () => (await api<{ partitions: { attempts: number }[] }>(stack.adminKey, 'GET', '/subscriptions/billing-webhook')).partitions.some((p) => p.attempts > 0), {
        timeout: 15_000,
      })
      .toBe(true);

    await go('Overview');
    await page.locator('tr.bad', { hasText: 'billing-webhook' }).waitFor();
    await page.locator('tr.warn', { hasText: 'billing' }).waitFor();
    await shot('overview');

    await go('Groups');
    await page.getByRole('link', { name: 'billing', exact: true }).click();
    await page.getByRole('heading', { name: 'Group billing' }).waitFor();
    await page.getByText('billing-1').waitFor();

    await go('Subscriptions');
    await page.getByRole('link', { name: 'billing-webhook' }).click();
    await page.getByRole('button', { name: 'pause' }).click();
    await page.getByRole('button', { name: 'resume' }).waitFor();
    expect((await api<{ state: string }>(stack.adminKey, 'GET', '/subscriptions/billing-webhook')).state).toBe('paused');
    await shot('subscription');
  });

  it('charts a group\'s lag after a commit, and resets its offsets: a dry run with its plan, then apply', async () => {
    const { partitions } = await api<{ partitions: { partition: number; highWatermark: number }[] }>(stack.adminKey, 'GET', '/topics/orders');
    const busy = partitions.find((p) => p.highWatermark > 0)!;
    await api(stack.adminKey, 'POST', '/groups/reporting/offsets', { offsets: [{ topic: 'orders', partition: busy.partition, offset: 0 }] });
    const lag = (await api<{ offsets: { lag: number }[] }>(stack.adminKey, 'GET', '/groups/reporting')).offsets.reduce((sum, o) => sum + o.lag, 0);
    expect(lag).toBeGreaterThan(0);

    await page.evaluate("location.hash = '#/groups/reporting'");
    await page.getByRole('heading', { name: 'Group reporting' }).waitFor();
    await page.locator('.lag-chart canvas').waitFor();
    expect(await page.locator('.total-lag').textContent()).toBe(String(lag));

    const form = page.locator('form[aria-label="reset offsets"]');
    await form.locator('input[name=topic]').fill('orders');
    await form.locator('input[name=partitions]').fill(String(busy.partition));
    await form.locator('select[name=to]').selectOption('latest');
    await form.getByRole('button', { name: 'dry run' }).click();
    const planned = form.locator(`.reset-plan tr[data-partition="${busy.partition}"]`);
    await planned.waitFor();
    expect(await planned.locator('td').allTextContents()).toEqual(['orders', String(busy.partition), '0', String(busy.highWatermark)]);
    expect((await api<{ offsets: { lag: number }[] }>(stack.adminKey, 'GET', '/groups/reporting')).offsets.reduce((sum, o) => sum + o.lag, 0)).toBe(lag); // a dry run changes nothing
    await shot('group');

    await form.getByRole('button', { name: 'apply' }).click();
    await form.getByRole('status').filter({ hasText: 'applied' }).waitFor();
    await expect.poll(() => page.locator('.total-lag').textContent(), { timeout: 8_000 }).toBe('0');

    // A group with live members: the contract's error.
    await page.evaluate("location.hash = '#/groups/billing'");
    await page.getByRole('heading', { name: 'Group billing' }).waitFor();
    const billing = page.locator('form[aria-label="reset offsets"]');
    await billing.getByRole('button', { name: 'dry run' }).click();
    await billing.locator('[role=alert]').waitFor();
    expect(await billing.locator('[role=alert]').textContent()).toContain('GROUP_NOT_EMPTY');
  });

  it('deletes a group once its name is typed, and shows GROUP_NOT_EMPTY in place for a group with live members', async () => {
    await page.evaluate("location.hash = '#/groups/billing'");
    await page.getByRole('heading', { name: 'Group billing' }).waitFor();
    const billing = page.locator('.delete-group');
    await billing.getByRole('button', { name: 'delete…' }).click();
    await billing.getByLabel('type billing to delete it').fill('billing');
    await billing.getByRole('button', { name: 'delete group' }).click();
    await billing.locator('[role=alert]').waitFor();
    expect(await billing.locator('[role=alert]').textContent()).toContain('GROUP_NOT_EMPTY');

    await api(stack.adminKey, 'POST', '/groups/old-reports/offsets', { offsets: [{ topic: 'orders', partition: 0, offset: 0 }] });
    await page.evaluate("location.hash = '#/groups/old-reports'");
    await page.getByRole('heading', { name: 'Group old-reports' }).waitFor();
    const old = page.locator('.delete-group');
    await old.getByRole('button', { name: 'delete…' }).click();
    const confirm = old.getByRole('button', { name: 'delete group' });
    await old.getByLabel('type old-reports to delete it').fill('old-report');
    expect(await confirm.isDisabled()).toBe(true);
    await old.getByLabel('type old-reports to delete it').fill('old-reports');
    await confirm.click();
    await page.getByRole('heading', { name: 'Consumer groups' }).waitFor();
    const { groups } = await api<{ groups: { group: string }[] }>(stack.adminKey, 'GET', '/groups');
    expect(groups.map((g) => g.group)).toEqual(expect.arrayContaining(['billing', 'reporting']));
    expect(groups.map((g) => g.group)).not.toContain('old-reports');
  });

  it('creates a webhook subscription (its secret shown once), then deletes it once its name is typed', async () => {
    await go('Subscriptions');
    const form = page.locator('form[aria-label="create a subscription"]');
    await form.locator('input[name=name]').fill('audit-hook');
    await form.locator('input[name=topic]').fill('orders');
    await form.locator('input[name=target]').fill('http://127.0.0.1:9/audit');
    await form.locator('input[name=batchSize]').fill('10');
    await form.getByRole('button', { name: 'create subscription' }).click();
    const secret = page.locator('.secret code.wrap');
    await secret.waitFor();
    expect((await secret.textContent())!.length).toBeGreaterThan(10);
    await page.locator('.secret').getByRole('button', { name: 'copy secret' }).waitFor();
    const described = await api<{ batchSize: number; target: Record<string, unknown> }>(stack.adminKey, 'GET', '/subscriptions/audit-hook');
    expect(described.batchSize).toBe(10);
    expect(described.target).not.toHaveProperty('secret');

    await page.locator('.secret').getByRole('link', { name: 'audit-hook' }).click();
    await page.getByRole('heading', { name: 'Subscription audit-hook' }).waitFor();
    await page.getByRole('button', { name: 'delete…' }).click();
    await page.getByLabel('type audit-hook to delete it').fill('audit-hook');
    await page.getByRole('button', { name: 'delete subscription' }).click();
    await page.getByRole('heading', { name: 'Subscriptions' }).waitFor();
    await expect(api(stack.adminKey, 'GET', '/subscriptions/audit-hook')).rejects.toThrow('404');
  });

  it('creates a key (the secret shown once), revokes one, and a key without the right sees a forbidden message in place', async () => {
    await go('Keys');
    const form = page.locator('form[aria-label="create a key"]');
    await form.locator('input[name=principal]').fill('reader');
    await form.locator('input[name=resource]').fill('topic:orders');
    await form.getByRole('button', { name: 'create key' }).click();
    const secret = await page.locator('.secret code.wrap').textContent();
    expect(secret).toMatch(/^brook_/);
    await page.getByRole('cell', { name: 'reader' }).waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'keys.png'), mask: [page.locator('.secret code.wrap')] }); // no secret in the docs

    // Revoke: only once the key id is typed.
    const temp = await api<{ keyId: string }>(stack.adminKey, 'POST', '/keys', { principal: 'temp', permissions: [{ resource: 'cluster', operations: ['describe'] }] });
    await go('Topics');
    await go('Keys');
    const row = page.locator('tr', { has: page.getByRole('cell', { name: temp.keyId }) });
    await row.getByRole('button', { name: 'revoke…' }).click();
    await row.getByLabel(`type ${temp.keyId} to revoke it`).fill(temp.keyId);
    await row.getByRole('button', { name: 'revoke key' }).click();
    await expect.poll(() => page.getByRole('cell', { name: temp.keyId }).count()).toBe(0);
    const keys = await api<{ keys: { keyId: string }[] }>(stack.adminKey, 'GET', '/keys');
    expect(keys.keys.map((k) => k.keyId)).not.toContain(temp.keyId);

    await page.getByRole('button', { name: 'sign out' }).click();
    expect(await page.evaluate<string | null>("sessionStorage.getItem('brook.console.key')")).toBeNull();
    await page.fill('#api-key', secret!);
    await page.getByRole('button', { name: 'use this key' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();

    await go('Keys');
    const alert = page.locator('[role=alert]').first();
    await alert.waitFor();
    expect(await alert.textContent()).toContain('forbidden: this key may not list keys');
    expect(await alert.textContent()).toContain('FORBIDDEN');

    await go('Topics');
    const create = page.locator('form[aria-label="create a topic"]');
    await create.locator('input[name=name]').fill('not-mine');
    await create.getByRole('button', { name: 'create' }).click();
    await create.locator('[role=alert]').waitFor();
    expect(await create.locator('[role=alert]').textContent()).toContain('forbidden: this key may not create this topic');
    await shot('forbidden');
  });

  /** Every screen once signed in, and what shows it has its data (the layout is checked only then). */
  const SCREENS: { hash: string; loaded: () => ReturnType<Page['locator']> }[] = [
    { hash: 'overview', loaded: () => page.locator('tr.bad', { hasText: 'billing-webhook' }) },
    { hash: 'topics', loaded: () => page.getByRole('link', { name: 'orders', exact: true }) },
    { hash: 'topics/orders', loaded: () => page.locator('main tbody tr').nth(2) },
    { hash: 'messages?topic=bulk', loaded: () => page.locator('tr[data-offset="0"]') },
    { hash: 'produce', loaded: () => page.locator('form[aria-label="produce a record"] option[value=orders]') },
    { hash: 'groups', loaded: () => page.getByRole('link', { name: 'billing', exact: true }) },
    { hash: 'groups/reporting', loaded: () => page.locator('.total-lag') },
    { hash: 'subscriptions', loaded: () => page.getByRole('link', { name: 'billing-webhook' }) },
    { hash: 'subscriptions/billing-webhook', loaded: () => page.locator('main tbody tr').first() },
    { hash: 'keys', loaded: () => page.getByRole('cell', { name: 'reader' }).first() },
  ];

  /** Opens a screen by its hash (reloading, so keyboard focus starts at the top of the page) and waits for its data. */
  async function open(screen: (typeof SCREENS)[number]): Promise<void> {
    await page.goto(`${stack.url}/console#/${screen.hash}`);
    await page.reload();
    await page.locator('main h1').waitFor();
    if (screen.hash.startsWith('messages')) await page.locator('form[aria-label="where to read"]').getByRole('button', { name: 'read' }).click();
    await screen.loaded().waitFor({ state: 'attached' });
  }

  async function signInAsAdmin(): Promise<void> {
    await page.goto(`${stack.url}/console`);
    await page.evaluate(`sessionStorage.setItem('brook.console.key', ${JSON.stringify(stack.adminKey)})`);
  }

  /** The form fields and buttons of the page whose accessible name (computed by chromium) is empty, as HTML. */
  async function unnamedControls(): Promise<{ controls: number; unnamed: string[] }> {
    const cdp = await page.context().newCDPSession(page);
    try {
      const { root } = await cdp.send('DOM.getDocument', { depth: 0 });
      const { nodeIds } = await cdp.send('DOM.querySelectorAll', { nodeId: root.nodeId, selector: 'input:not([type=hidden]), select, textarea, button' });
      const unnamed: string[] = [];
      for (const nodeId of nodeIds) {
        const { nodes } = await cdp.send('Accessibility.getPartialAXTree', { nodeId, fetchRelatives: false });
        const name = String(nodes[0]?.name?.value ?? '').trim();
        if (name === '') unnamed.push((await cdp.send('DOM.getOuterHTML', { nodeId })).outerHTML.slice(0, 160));
      }
      return { controls: nodeIds.length, unnamed };
    } finally {
      await cdp.detach();
    }
  }

  /** Presses Tab from the top of the page until the element `selector` finds has the focus; the number of presses, or Infinity past `limit`. */
  async function tabsTo(selector: string, limit = 30): Promise<number> {
    for (let presses = 1; presses <= limit; presses++) {
      await page.keyboard.press('Tab');
      if (await page.evaluate<boolean>(`document.activeElement === document.querySelector(${JSON.stringify(selector)})`)) return presses;
    }
    return Infinity;
  }

  it('is usable 390 px wide: no screen is wider than the window', async () => {
    await page.setViewportSize(NARROW);
    const signedOut = await browser.newPage({ viewport: NARROW });
    try {
      await signedOut.goto(`${stack.url}/console`);
      await signedOut.locator('#api-key').waitFor();
      expect(await signedOut.evaluate<number>('document.documentElement.scrollWidth'), 'key screen').toBeLessThanOrEqual(NARROW.width);
    } finally {
      await signedOut.close();
    }
    await signInAsAdmin();
    for (const screen of SCREENS) {
      await open(screen);
      const width = await page.evaluate<number>('document.documentElement.scrollWidth');
      expect(width, screen.hash).toBeLessThanOrEqual(NARROW.width);
    }
    await page.setViewportSize(WIDE);
  });

  it('names every field and button on every screen, and the keyboard reaches each screen\'s main control', async () => {
    const firstFields: Record<string, string> = {
      topics: 'form[aria-label="create a topic"] input[name=name]',
      'messages?topic=bulk': 'form[aria-label="where to read"] select[name=topic]',
      produce: 'form[aria-label="produce a record"] select[name=topic]',
      'groups/reporting': 'form[aria-label="reset offsets"] input[name=topic]',
      subscriptions: 'form[aria-label="create a subscription"] input[name=name]',
      keys: 'form[aria-label="create a key"] input[name=principal]',
    };
    // Signed out: the key screen.
    await page.evaluate("sessionStorage.removeItem('brook.console.key')");
    await page.reload();
    await page.locator('#api-key').waitFor();
    expect((await unnamedControls()).unnamed, 'key screen').toEqual([]);
    expect(await tabsTo('#api-key'), 'Tab presses to the key field').toBeLessThanOrEqual(5);

    await signInAsAdmin();
    for (const screen of SCREENS) {
      await open(screen);
      const { controls, unnamed } = await unnamedControls();
      expect(controls, screen.hash).toBeGreaterThan(0);
      expect(unnamed, screen.hash).toEqual([]);
      const field = firstFields[screen.hash];
      if (field === undefined) continue;
      await page.reload();
      await page.locator(field).waitFor();
      expect(await tabsTo(field), `Tab presses to ${field}`).toBeLessThanOrEqual(30);
    }
    expect(pageErrors.filter((e) => !/Failed to load resource/.test(e))).toEqual([]);
  });
});
