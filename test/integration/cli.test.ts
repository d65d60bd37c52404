/**
 * The `brook` command as users run it: the bundle `npm run build` makes
 * (dist/cli.js, built here into a temp folder), a subprocess per command,
 * standard input in, standard output and error read back, against a local
 * stack of its own (free port, temp data folder). No BROOK_API_KEY is given:
 * the CLI finds the admin key the stack saved under BROOK_DATA_DIR.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getFreePort } from '../../local/emulators.js';
import { partitionForKey } from '../../protocol/partitioner.js';
import { build } from '../../scripts/build.js';
import { localStackForTests, type LocalStackForTests } from '../helpers/localStack.js';

let stack: LocalStackForTests;
let distDir: string;

interface Run {
  code: number | null;
  stdout: string;
  /** Standard output as the bytes written. */
  stdoutBytes: Buffer;
  stderr: string;
}

function childEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, BROOK_URL: stack.url, BROOK_DATA_DIR: stack.dataDir, NO_COLOR: '1', ...extra };
  if (!('BROOK_API_KEY' in extra)) delete env.BROOK_API_KEY;
  return env;
}

/** Runs `brook <args>` to its end, feeding `input` on standard input. */
function brook(args: string[], options: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(distDir, 'cli.js'), ...args], { env: childEnv(options.env), stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      const stdoutBytes = Buffer.concat(out);
      resolve({ code, stdout: stdoutBytes.toString('utf8'), stdoutBytes, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

const lines = (text: string) => text.split('\n').filter((line) => line !== '');
/** Output lines, empty ones included (a record with an empty value prints one). */
const outputLines = (text: string) => (text === '' ? [] : text.replace(/\n$/, '').split('\n'));
const name = (label: string) => `cli-${label}-${randomUUID().slice(0, 8)}`;

/** A failure as the contract of the CLI has it: one line on stderr, no stack, the exit code. */
function expectOneLineFailure(run: Run, exitCode: number, pattern: RegExp): void {
  expect(run.code).toBe(exitCode);
  expect(lines(run.stderr)).toHaveLength(1);
  expect(run.stderr).toMatch(/^brook: /);
  expect(run.stderr).toMatch(pattern);
  expect(run.stderr).not.toMatch(/\n\s+at /);
}

beforeAll(async () => {
  distDir = await mkdtemp(join(tmpdir(), 'brook-cli-dist-'));
  // No apiKey: the stack generates one and saves it to <dataDir>/admin-key, where the CLI looks.
  [stack] = await Promise.all([localStackForTests({ prefix: 'brook-cli-' }), build(distDir)]);
});

afterAll(async () => {
  await stack?.stop();
  if (distDir) await rm(distDir, { recursive: true, force: true });
});

describe('brook topics', () => {
  it('creates, lists, describes, alters and deletes a topic', async () => {
    const topic = name('topics');

    const created = await brook(['topics', 'create', topic, '--partitions', '2', '--config', 'retention.ms=86400000']);
    expect(created).toMatchObject({ code: 0, stdout: `Created topic ${topic} with 2 partitions.\n` });

    const listed = await brook(['--json', 'topics', 'list']);
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout)).toContainEqual({ name: topic, partitions: 2 });

    const altered = await brook(['topics', 'alter', topic, '--partitions', '3']);
    expect(altered.code).toBe(0);

    const described = await brook(['topics', 'describe', topic]);
    expect(described.code).toBe(0);
    expect(described.stdout).toContain(`Topic: ${topic}  Partitions: 3`);
    expect(described.stdout).toContain('retentionMs=86400000');
    expect(lines(described.stdout).slice(-4)).toEqual([
      'PARTITION  LOG-START  HIGH-WATERMARK  RECORDS',
      '0          0          0               0',
      '1          0          0               0',
      '2          0          0               0',
    ]);

    expect(await brook(['topics', 'delete', topic])).toMatchObject({ code: 0, stdout: `Deleted topic ${topic}.\n` });
    expectOneLineFailure(await brook(['topics', 'describe', topic]), 1, /TOPIC_NOT_FOUND/);
  });
});

describe('brook produce and consume', () => {
  const topic = name('records');
  const input = ['alice:1', 'bob:2', 'carol:3', 'alice:4', 'bob:5:with:colons', 'dave:'];

  beforeAll(async () => {
    expect((await brook(['topics', 'create', topic, '-p', '3'])).code).toBe(0);
  });

  it('sends one record per line of standard input, keyed, and reports the count on stderr', async () => {
    const run = await brook(['produce', '--topic', topic, '--key-separator', ':', '--header', 'source=cli'], { input: `${input.join('\n')}\n` });
    expect(run).toMatchObject({ code: 0, stdout: '', stderr: `6 records sent to ${topic}\n` });
  });

  it('prints them back from the beginning: key partitioning as Kafka, order kept per key', async () => {
    const run = await brook(['consume', '--topic', topic, '--from-beginning', '--max-messages', '6', '--print-partition', '--print-key', '--print-headers']);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('Processed a total of 6 messages\n');
    const printed = outputLines(run.stdout).map((line) => line.split('\t'));
    expect(printed).toHaveLength(6);
    for (const [partition, headers, key] of printed) {
      expect(partition).toBe(`Partition:${partitionForKey(Buffer.from(key!), 3)}`);
      expect(headers).toBe('source:cli');
    }
    expect(printed.map(([, , key, value]) => `${key}:${value}`).sort()).toEqual([...input].sort());
    expect(printed.filter(([, , key]) => key === 'alice').map(([, , , value]) => value)).toEqual(['1', '4']);
  });

  it('reads one partition from an offset, as JSON', async () => {
    const partition = partitionForKey(Buffer.from('alice'), 3);
    const run = await brook(['consume', '--topic', topic, '--partition', String(partition), '--offset', '0', '--max-messages', '1', '--format', 'json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ topic, partition, offset: 0, key: 'alice', value: '1', headers: { source: 'cli' } });
  });

  it('prints records that are not UTF-8 as their exact bytes, and as base64 marked encoding: base64 with --format json', async () => {
    // Prepare
    const binary = name('binary');
    expect((await brook(['topics', 'create', binary, '-p', '1'])).code).toBe(0);
    const value = Buffer.from([0x61, 0xff, 0x62]);
    const header = Buffer.from([0xc3, 0x28]);
    const produced = await fetch(`${stack.url}/v1/topics/${binary}/records`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.adminKey}` },
      body: JSON.stringify({ encoding: 'base64', records: [{ key: 'aw==', value: value.toString('base64'), headers: { h: header.toString('base64') } }, { value: 'b2s=' }] }),
    });
    expect(produced.status).toBe(200);
    const from = ['consume', '--topic', binary, '--partition', '0', '--offset', '0', '--max-messages', '2'];

    // Act
    const text = await brook([...from, '--print-key', '--print-headers']);
    const json = await brook([...from, '--format', 'json']);

    // Assess
    expect(text.code).toBe(0);
    expect(text.stdoutBytes).toEqual(Buffer.concat([Buffer.from('h:'), header, Buffer.from('\tk\t'), value, Buffer.from('\nNO_HEADERS\tnull\tok\n')]));
    expect(json.code).toBe(0);
    const [first, second] = outputLines(json.stdout).map((line) => JSON.parse(line));
    expect(first).toMatchObject({ key: 'aw==', value: value.toString('base64'), headers: { h: header.toString('base64') }, encoding: 'base64' });
    expect(second).toMatchObject({ key: null, value: 'ok', headers: {} });
    expect(second).not.toHaveProperty('encoding');
  });

  it('consumes in a group, commits what it printed, and groups describe shows the lag', async () => {
    const group = name('group');
    const consumed = await brook(['consume', '--topic', topic, '--group', group, '--from-beginning', '--max-messages', '4']);
    expect(consumed.code).toBe(0);
    expect(outputLines(consumed.stdout)).toHaveLength(4);

    const described = await brook(['groups', 'describe', group]);
    expect(described.code).toBe(0);
    expect(described.stdout).toMatch(new RegExp(`Group: ${group}  State: Empty .* Members: 0`)); // it left
    // Every partition of the topic has a row; one without a commit shows "-" (as kafka-consumer-groups).
    const rows = lines(described.stdout).filter((line) => line.startsWith(topic)).map((line) => line.split(/\s+/));
    expect(rows.map((row) => row[1])).toEqual(['0', '1', '2']);
    const committed = rows.reduce((sum, row) => sum + (row[2] === '-' ? 0 : Number(row[2])), 0);
    const unread = rows.reduce((sum, row) => sum + Number(row[3]) - (row[2] === '-' ? 0 : Number(row[2])), 0);
    expect(committed).toBe(4);
    expect(unread).toBe(2);

    // reset-offsets: a dry run by default changes nothing; --execute does.
    const planned = await brook(['groups', 'reset-offsets', group, '--topic', topic, '--to-earliest']);
    expect(planned.code).toBe(0);
    expect(planned.stderr).toMatch(/dry run .*nothing changed/);
    expect(planned.stdout).toContain('NEW-OFFSET');
    const unchanged = JSON.parse((await brook(['--json', 'groups', 'describe', group])).stdout) as { offsets: { offset: number; lag: number }[] };
    expect(unchanged.offsets.reduce((sum, o) => sum + o.offset, 0)).toBe(4);

    const executed = await brook(['--json', 'groups', 'reset-offsets', group, '--topic', topic, '--to-earliest', '--execute']);
    expect(executed.code).toBe(0);
    const plan = JSON.parse(executed.stdout) as { dryRun: boolean; offsets: { partition: number; after: number }[] };
    expect(plan.dryRun).toBe(false);
    expect(plan.offsets.map((o) => o.after)).toEqual([0, 0, 0]);
    const reset = JSON.parse((await brook(['--json', 'groups', 'describe', group])).stdout) as { offsets: { offset: number; lag: number }[] };
    expect(reset.offsets.reduce((sum, o) => sum + o.lag, 0)).toBe(6);
  });

  it('on Ctrl-C (delivered twice, as under npx: by the terminal and by npm), commits and leaves the group at once', async () => {
    // Prepare: a group member that keeps running
    const group = name('sigint');
    const child = spawn(process.execPath, [join(distDir, 'cli.js'), 'consume', '--topic', topic, '--group', group, '--from-beginning'], {
      env: childEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    await new Promise<void>((resolve) => {
      const deadline = setTimeout(resolve, 15_000);
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString('utf8');
        if (outputLines(stdout).length >= 6) {
          clearTimeout(deadline);
          resolve();
        }
      });
    });
    expect(outputLines(stdout), stderr).toHaveLength(6);

    // Act
    child.kill('SIGINT');
    await new Promise((resolve) => setTimeout(resolve, 50));
    child.kill('SIGINT');
    const code = await exited;

    // Assess: exit 0, and no live member left behind (no wait for the session timeout)
    expect(code).toBe(0);
    expect(stderr).toBe('Processed a total of 6 messages\n');
    const group_ = JSON.parse((await brook(['--json', 'groups', 'describe', group])).stdout) as { state: string; members: unknown[]; offsets: { lag: number }[] };
    expect(group_.state).toBe('Empty');
    expect(group_.members).toEqual([]);
    expect(group_.offsets.reduce((sum, o) => sum + o.lag, 0)).toBe(0);
  });
});

describe('brook produce --transactional', () => {
  /** Every record of a topic's partition, through the HTTP API. */
  async function recordsOf(topic: string, partition: number): Promise<{ offset: number; key: string | null; value: string | null; headers: Record<string, string> }[]> {
    const response = await fetch(`${stack.url}/v1/topics/${topic}/partitions/${partition}/records?offset=0`, { headers: { authorization: `Bearer ${stack.adminKey}` } });
    expect(response.status).toBe(200);
    return ((await response.json()) as { records: { offset: number; key: string | null; value: string | null; headers: Record<string, string> }[] }).records;
  }

  it('sends JSON lines on several topics as one transaction and prints the results (--json) and the count', async () => {
    // Prepare
    const debits = name('debits');
    const credits = name('credits');
    expect((await brook(['topics', 'create', debits, '-p', '3'])).code).toBe(0);
    expect((await brook(['topics', 'create', credits, '-p', '1'])).code).toBe(0);
    const input = [
      JSON.stringify({ topic: debits, key: 'alice', value: '-5', headers: { reason: 'rent' } }),
      '',
      JSON.stringify({ topic: credits, value: '5', partition: 0 }),
      JSON.stringify({ topic: debits, key: 'alice', value: null }),
      JSON.stringify({ key: 'bob', value: { cents: 7 } }), // no topic: --topic's
    ].join('\n');

    // Act
    const run = await brook(['--json', 'produce', '--transactional', '--topic', credits, '--header', 'batch=b1'], { input: `${input}\n` });

    // Assess
    expect(run.code).toBe(0);
    expect(run.stderr).toBe(`4 records sent to ${debits}, ${credits} in one transaction\n`);
    const alice = partitionForKey(Buffer.from('alice'), 3);
    expect(JSON.parse(run.stdout)).toEqual({
      results: [
        { topic: debits, partition: alice, offset: 0 },
        { topic: credits, partition: 0, offset: 0 },
        { topic: debits, partition: alice, offset: 1 },
        { topic: credits, partition: 0, offset: 1 },
      ],
    });
    expect(await recordsOf(debits, alice)).toMatchObject([
      { offset: 0, key: 'alice', value: '-5', headers: { batch: 'b1', reason: 'rent' } },
      { offset: 1, key: 'alice', value: null, headers: { batch: 'b1' } },
    ]);
    expect(await recordsOf(credits, 0)).toMatchObject([
      { offset: 0, key: null, value: '5' },
      { offset: 1, key: 'bob', value: '{"cents":7}' },
    ]);
  });

  it('reads --file; a bad line (exit 2) or an unknown topic (exit 1) sends nothing at all', async () => {
    const topic = name('tx-file');
    expect((await brook(['topics', 'create', topic, '-p', '2'])).code).toBe(0);
    const dir = await mkdtemp(join(tmpdir(), 'brook-cli-tx-'));
    try {
      const good = join(dir, 'good.jsonl');
      await writeFile(good, `${JSON.stringify({ topic, partition: 1, value: 'from-file' })}\n`);
      const fromFile = await brook(['produce', '--transactional', '--file', good]);
      expect(fromFile).toMatchObject({ code: 0, stdout: '', stderr: `1 record sent to ${topic} in one transaction\n` });

      const badLine = await brook(['produce', '--transactional'], { input: `${JSON.stringify({ topic, value: 'never' })}\nnot json\n` });
      expectOneLineFailure(badLine, 2, /^brook: line 2: is not JSON/);
      const unknownTopic = await brook(['produce', '--transactional'], {
        input: `${JSON.stringify({ topic, partition: 0, value: 'never' })}\n${JSON.stringify({ topic: name('missing'), value: 'x' })}\n`,
      });
      expectOneLineFailure(unknownTopic, 1, /TOPIC_NOT_FOUND/);
      expectOneLineFailure(await brook(['produce', '--transactional', '--partition', '0'], { input: '' }), 2, /do not go with --transactional/);
      expectOneLineFailure(await brook(['produce', '--transactional', '--file', join(dir, 'absent.jsonl')]), 1, /cannot read .*absent\.jsonl/);

      expect(await recordsOf(topic, 0)).toEqual([]);
      expect((await recordsOf(topic, 1)).map((record) => record.value)).toEqual(['from-file']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('brook bench', () => {
  it('produce --json and consume --json give throughput and latency numbers', async () => {
    const topic = name('bench');
    expect((await brook(['topics', 'create', topic, '-p', '2'])).code).toBe(0);

    const produced = await brook(['--json', 'bench', 'produce', '--topic', topic, '--num-records', '500', '--record-size', '200']);
    expect(produced.code).toBe(0);
    expect(produced.stderr).toBe(''); // no progress bar off a terminal
    const p = JSON.parse(produced.stdout) as { records: number; bytes: number; recordsPerSec: number; mbPerSec: number; latencyMs: Record<string, number>; errors: number };
    expect(p).toMatchObject({ records: 500, bytes: 100_000, errors: 0 });
    expect(p.recordsPerSec).toBeGreaterThan(0);
    expect(p.latencyMs.p50!).toBeGreaterThan(0);
    expect(p.latencyMs.p50!).toBeLessThanOrEqual(p.latencyMs.p99!);
    expect(p.latencyMs.p99!).toBeLessThanOrEqual(p.latencyMs.max! + 0.01);

    const consumed = await brook(['--json', 'bench', 'consume', '--topic', topic]);
    expect(consumed.code).toBe(0);
    const c = JSON.parse(consumed.stdout) as { records: number; bytes: number; fetches: number; recordsPerSec: number };
    expect(c).toMatchObject({ records: 500, bytes: 100_000 });
    expect(c.fetches).toBeGreaterThan(0);
  });
});

describe('brook: bad input', () => {
  it('an unknown topic: the server error code, exit 1', async () => {
    expectOneLineFailure(await brook(['produce', '--topic', name('missing')], { input: 'x\n' }), 1, /TOPIC_NOT_FOUND/);
  });

  it('a missing --topic or a line without the key separator: usage, exit 2', async () => {
    expectOneLineFailure(await brook(['consume', '--from-beginning']), 2, /required option '-t, --topic <topic>'/);
    const topic = name('sep');
    await brook(['topics', 'create', topic]);
    const run = await brook(['produce', '--topic', topic, '-k', ':'], { input: 'k:v\nno separator here\n' });
    expect(run.code).toBe(2);
    expect(lines(run.stderr)).toEqual([`1 record sent to ${topic}`, 'brook: line 2 has no key separator ":"']);
  });

  it('a bad --allow: usage, exit 2, before any request', async () => {
    expectOneLineFailure(await brook(['keys', 'create', '--principal', 'app', '--allow', 'topic:orders=read,fly']), 2, /unknown operation "fly"/);
  });

  it('a wrong key: UNAUTHENTICATED, exit 1; no server: exit 3', async () => {
    expectOneLineFailure(await brook(['topics', 'list'], { env: { BROOK_API_KEY: 'brook_wrong' } }), 1, /UNAUTHENTICATED/);
    const nobody = `http://127.0.0.1:${await getFreePort()}`;
    const unreachable = await brook(['--url', nobody, '--api-key', 'k', 'topics', 'list']);
    expectOneLineFailure(unreachable, 3, /UNAVAILABLE: could not reach/);
    expect(unreachable.stderr).toContain(`could not reach ${nobody}: fetch failed (connect ECONNREFUSED`);
  });

  it('--help on a command shows its examples', async () => {
    const run = await brook(['groups', 'reset-offsets', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Examples:');
    expect(run.stdout).toContain('--to-datetime <time>');
  });
});

describe('brook keys', () => {
  it('creates a key (secret shown once), lists it, and revokes it', async () => {
    const topic = name('keys');
    await brook(['topics', 'create', topic]);
    const principal = name('principal');

    const created = await brook(['--json', 'keys', 'create', '--principal', principal, '--allow', `topic:${topic}=read,describe`, '--expires', '2099-01-01T00:00:00Z']);
    expect(created.code).toBe(0);
    expect(created.stderr).toMatch(/will not be shown again/);
    const key = JSON.parse(created.stdout) as { keyId: string; secret: string; permissions: unknown };
    expect(key.permissions).toEqual([{ resource: `topic:${topic}`, operations: ['read', 'describe'] }]);

    // The new key may read but not write.
    expect((await brook(['topics', 'describe', topic], { env: { BROOK_API_KEY: key.secret } })).code).toBe(0);
    expectOneLineFailure(await brook(['produce', '--topic', topic], { input: 'x\n', env: { BROOK_API_KEY: key.secret } }), 1, /FORBIDDEN/);

    const listed = await brook(['keys', 'list']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(principal);
    expect(listed.stdout).not.toContain(key.secret);

    expect((await brook(['keys', 'revoke', key.keyId])).code).toBe(0);
    expectOneLineFailure(await brook(['topics', 'describe', topic], { env: { BROOK_API_KEY: key.secret } }), 1, /UNAUTHENTICATED/);
  });
});
