/**
 * Stopping the local stack the way service managers and scripts do: one
 * signal to one process id. `npm start` runs for real (npm, then node, then
 * Java and its watchdog under it); a signal to npm or to any process under it
 * must stop all of them within 10 s, and Java must not outlive a node that is
 * killed outright. The stack also runs on endpoints someone else started
 * (`BROOK_DYNAMODB_ENDPOINT`, `BROOK_S3_ENDPOINT`), starting no emulator.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { DYNAMODB_LOCAL_CREDENTIALS, getFreePort } from '../../local/emulators.js';
import { LOCAL_PREFIX, startLocalStack } from '../../local/stack.js';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const STOP_WITHIN_MS = 10_000;
const onLinux = existsSync('/proc');

interface NpmStart {
  npm: ChildProcess;
  dataDir: string;
  /** npm, node, Java and the watchdog. */
  pids: { npm: number; node: number; java: number; watchdog: number };
  output: () => string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Process ids whose parent is `pid` (from /proc). */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return '';
  }
}

/** Alive and not a zombie waiting for its parent. */
function isRunning(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function npmStart(): Promise<NpmStart> {
  const dataDir = await mkdtemp(join(tmpdir(), 'brook-signals-'));
  const env: NodeJS.ProcessEnv = { ...process.env, BROOK_PORT: String(await getFreePort()), BROOK_DATA_DIR: dataDir };
  delete env.BROOK_API_KEY;
  delete env.BROOK_DYNAMODB_ENDPOINT;
  delete env.BROOK_S3_ENDPOINT;
  // Its own process group, as under a service manager: no terminal sends anything to the group.
  const npm = spawn('npm', ['start'], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  npm.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  npm.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const deadline = Date.now() + 60_000;
  while (!output.includes('Ctrl-C stops it.')) {
    if (npm.exitCode !== null || Date.now() > deadline) {
      npm.kill('SIGKILL');
      throw new Error(`npm start did not come up:\n${output}`);
    }
    await sleep(100);
  }
  const node = childrenOf(npm.pid!).find((pid) => commandOf(pid).includes('local/start.ts'));
  expect(node, `node under npm (${childrenOf(npm.pid!).map(commandOf).join(' | ')})`).toBeDefined();
  const under = childrenOf(node!);
  const java = under.find((pid) => commandOf(pid).startsWith('java'));
  const watchdog = under.find((pid) => commandOf(pid).includes('read _ignored'));
  expect(java).toBeDefined();
  expect(watchdog).toBeDefined();
  return { npm, dataDir, pids: { npm: npm.pid!, node: node!, java: java!, watchdog: watchdog! }, output: () => output };
}

async function allGoneWithin(pids: number[], ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (pids.some(isRunning)) {
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
  return true;
}

describe.runIf(onLinux)('npm start: one signal to one process stops the whole stack', () => {
  let running: NpmStart | undefined;

  afterEach(async () => {
    if (!running) return;
    for (const pid of Object.values(running.pids)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await rm(running.dataDir, { recursive: true, force: true });
    running = undefined;
  });

  it.each([
    ['SIGINT', 'npm'],
    ['SIGTERM', 'npm'],
    ['SIGTERM', 'java'],
    ['SIGKILL', 'node'],
  ] as const)('%s to %s: npm, node, Java and its watchdog are gone within 10 s', async (signal, target) => {
    running = await npmStart();
    const exited = new Promise<number | null>((resolve) => running!.npm.once('exit', (code) => resolve(code)));

    process.kill(running.pids[target], signal);

    const gone = signal === 'SIGKILL'
      ? await allGoneWithin([running.pids.java, running.pids.watchdog], STOP_WITHIN_MS) // an orphaned emulator stops by itself
      : await allGoneWithin(Object.values(running.pids), STOP_WITHIN_MS);
    expect(gone, `still running: ${Object.entries(running.pids).filter(([, pid]) => isRunning(pid)).map(([name]) => name)}\n${running.output()}`).toBe(true);
    if (signal !== 'SIGKILL') {
      // A stop asked for is a clean exit; an emulator that ended on its own is a failure.
      expect(await exited).toBe(target === 'java' ? 1 : 0);
    }
  }, 90_000);
});

describe('startLocalStack on endpoints already running', () => {
  it('starts no emulator, creates its tables and bucket there, and serves the API', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'brook-external-'));
    const dynamoDbEndpoint = inject('dynamoDbEndpoint');
    const stack = await startLocalStack({
      port: 0,
      dataDir,
      apiKey: `external-${randomUUID()}`,
      compactIntervalMs: 0,
      dynamoDbEndpoint,
      s3Endpoint: inject('s3Endpoint'),
    });
    try {
      const call = (path: string, init: RequestInit = {}) =>
        fetch(`${stack.url}${path}`, { ...init, headers: { authorization: `Bearer ${stack.adminKey}`, 'content-type': 'application/json' } });
      const topic = `ext-${randomUUID().slice(0, 8)}`;

      expect((await call('/v1/topics', { method: 'POST', body: JSON.stringify({ name: topic, partitions: 1 }) })).status).toBe(201);
      expect((await call(`/v1/topics/${topic}/records`, { method: 'POST', body: JSON.stringify({ records: [{ value: 'x' }] }) })).status).toBe(200);
      const fetched = (await (await call(`/v1/topics/${topic}/partitions/0/records?offset=0`)).json()) as { records: { value: string }[] };

      expect(fetched.records.map((record) => record.value)).toEqual(['x']);
      expect(stack.config.dynamoDbEndpoint).toBe(dynamoDbEndpoint);
      expect(existsSync(join(dataDir, 'dynamodb'))).toBe(false); // no DynamoDB Local of its own
      expect(existsSync(join(dataDir, 's3'))).toBe(false); // no s3rver of its own
      const client = new DynamoDBClient({ endpoint: dynamoDbEndpoint, region: 'us-east-1', credentials: DYNAMODB_LOCAL_CREDENTIALS });
      try {
        const table = await client.send(new DescribeTableCommand({ TableName: `${LOCAL_PREFIX}-log` }));
        expect(table.Table?.TableStatus).toBe('ACTIVE');
      } finally {
        client.destroy();
      }
    } finally {
      await stack.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
    // The shared emulators are still up for everyone else.
    expect((await fetch(dynamoDbEndpoint, { method: 'POST' }).catch(() => undefined))?.status).toBeDefined();
  }, 60_000);
});
