/**
 * `npm start` as a user runs it: a child process on a free port and a temp
 * data folder, stopped with SIGINT and started again on the same data.
 * It runs its own DynamoDB Local (persistent) and s3rver, not the shared ones.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getFreePort } from '../../local/emulators.js';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface RunningStack {
  child: ChildProcess;
  url: string;
  output: () => string;
  exited: Promise<number | null>;
}

/** Starts `local/start.ts` the way `npm start` does (tsx), and waits for GET /v1/health 200. */
async function startStack(dataDir: string): Promise<RunningStack> {
  const port = await getFreePort();
  const env: NodeJS.ProcessEnv = { ...process.env, BROOK_PORT: String(port), BROOK_DATA_DIR: dataDir };
  delete env.BROOK_API_KEY;
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/start.ts'], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let hasExited = false;
  void exited.then(() => (hasExited = true));

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 50_000;
  for (;;) {
    if (hasExited) throw new Error(`local/start.ts exited before answering:\n${output}`);
    try {
      const response = await fetch(`${url}/v1/health`);
      if (response.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`local/start.ts did not answer GET /v1/health in time:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return { child, url, output: () => output, exited };
}

/** Command lines of running processes that mention `needle` (what `ps -eo args` shows, read from /proc). */
function processesMentioning(needle: string): string[] {
  if (!existsSync('/proc')) return [];
  const found: string[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ');
      if (args.includes(needle)) found.push(`${entry} ${args}`);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

async function stopWithSigint(stack: RunningStack): Promise<number | null> {
  stack.child.kill('SIGINT');
  const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 20_000).unref());
  const result = await Promise.race([stack.exited, timeout]);
  if (result === 'timeout') {
    stack.child.kill('SIGKILL');
    throw new Error(`local/start.ts did not exit within 20 s of SIGINT:\n${stack.output()}`);
  }
  return result;
}

describe('npm start (local/start.ts): the local stack across a restart', () => {
  let dataDir: string;
  let stack: RunningStack | undefined;
  let adminKey: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'brook-local-stack-'));
  });

  afterAll(async () => {
    if (stack && stack.child.exitCode === null && stack.child.signalCode === null) {
      stack.child.kill('SIGINT');
      await Promise.race([stack.exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
      stack.child.kill('SIGKILL');
    }
    await rm(dataDir, { recursive: true, force: true });
  });

  it('starts, answers GET /v1/health and saves a generated admin key (mode 0600)', async () => {
    stack = await startStack(dataDir);

    const health = await fetch(`${stack.url}/v1/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    expect(health.headers.get('x-request-id')).toBeTruthy();

    const keyFile = join(dataDir, 'admin-key');
    adminKey = (await readFile(keyFile, 'utf8')).trim();
    expect(adminKey).toMatch(/^brook_/);
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    // Printed once, at generation, in the banner that follows the handlers' warm-up (the API answers before it).
    const running = stack;
    await expect.poll(() => running.output(), { timeout: 30_000 }).toContain(adminKey);
  }, 60_000);

  it('creates a topic with the admin key', async () => {
    const response = await fetch(`${stack!.url}/v1/topics`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'orders', partitions: 3 }),
    });

    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({ name: 'orders', partitions: [{ partition: 0 }, { partition: 1 }, { partition: 2 }] });
  });

  it('stops on SIGINT with exit code 0 and leaves no Java process behind', async () => {
    const dbPath = join(dataDir, 'dynamodb');
    expect(processesMentioning(dbPath)).not.toEqual([]); // DynamoDB Local runs on this data dir

    const code = await stopWithSigint(stack!);

    expect(code).toBe(0);
    // The child waits for Java to exit before it exits itself.
    expect(processesMentioning(dbPath)).toEqual([]);
  }, 30_000);

  it('keeps its data across a restart: the topic is still there, the key still works', async () => {
    stack = await startStack(dataDir);
    expect(stack.output()).not.toContain(adminKey); // reused, not printed again

    const response = await fetch(`${stack.url}/v1/topics/orders`, { headers: { authorization: `Bearer ${adminKey}` } });

    expect(response.status).toBe(200);
    const body = (await response.json()) as { name: string; partitions: unknown[] };
    expect(body.name).toBe('orders');
    expect(body.partitions).toHaveLength(3);
  }, 60_000);

  it('refuses a request without a key with 401 UNAUTHENTICATED', async () => {
    const response = await fetch(`${stack!.url}/v1/topics/orders`);

    expect(response.status).toBe(401);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('UNAUTHENTICATED');
  });

  it('stops again cleanly', async () => {
    expect(await stopWithSigint(stack!)).toBe(0);
    expect(processesMentioning(join(dataDir, 'dynamodb'))).toEqual([]);
  }, 30_000);
});
