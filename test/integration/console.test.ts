/**
 * The Brook Console in a real browser: Debian's chromium driven by
 * playwright-core, against a local stack of this file's own serving the
 * console built from console/ now. Pastes the admin key, creates a topic,
 * produces through the form, finds the record in the message browser by
 * offset and by key, charts a group's lag and resets its offsets (dry run,
 * then apply), creates a subscription (its secret shown once), sees a
 * forbidden message with a key that lacks the right, and saves a screenshot
 * of each main screen to docs/console/.
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

  it('renders only the rows in view of a large page, and the others as it scrolls', async () => {
    await api(stack.adminKey, 'POST', '/topics', { name: 'bulk' });
    const records = Array.from({ length: 400 }, (_, i) => ({ key: `k-${i}`, value: i % 3 === 0 ? { line: i, text: 'x'.repeat(i % 200) } : `record ${i}` }));
    await api(stack.adminKey, 'POST', '/topics/bulk/records', { records });

    await go('Topics');
    await go('Messages'); // opened again, it lists the new topic
    const form = page.locator('form[aria-label="where to read"]');
    await form.locator('select[name=topic]').selectOption('bulk');
    await form.locator('select[name=mode]').selectOption('earliest');
    await form.locator('input[name=pageSize]').fill('1000');
    await form.getByRole('button', { name: 'read' }).click();
    await expect.poll(() => page.locator('.toolbar .muted').textContent()).toMatch(/^offsets 0–399 of/);
    const rendered = await page.locator('table.records tbody tr[data-offset]').count();
    expect(rendered).toBeGreaterThan(5);
    expect(rendered).toBeLessThan(100);

    await page.evaluate("document.querySelector('.scroll.virtual').scrollTop = 1e9");
    await page.locator('tr[data-offset="399"]').waitFor();
    expect(await page.locator('tr[data-offset="0"]').count()).toBe(0);
    expect(await page.locator('table.records tbody tr[data-offset]').count()).toBeLessThan(100);
    await page.locator('input[name=keyFilter]').fill('k-250');
    await expect.poll(() => page.locator('table.records tbody tr[data-offset]').getAttribute('data-offset')).toBe('250');
  });

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

  it('is usable 390 px wide: nothing wider than the screen', async () => {
    await page.setViewportSize(NARROW);
    for (const screen of ['topics', 'produce', 'messages?topic=orders', 'overview']) {
      await page.evaluate(`location.hash = ${JSON.stringify(`#/${screen}`)}`);
      await page.locator('main h1').waitFor();
      const width = await page.evaluate<number>('document.documentElement.scrollWidth');
      expect(width, screen).toBeLessThanOrEqual(NARROW.width);
    }
    await page.setViewportSize(WIDE);
    expect(pageErrors.filter((e) => !/Failed to load resource/.test(e))).toEqual([]);
  });
});
