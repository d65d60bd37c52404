/**
 * The pure pieces of the `brook` command: argument and line parsing,
 * reset-offsets planning, connection defaults and output formatting. No
 * network, no subprocess (test/integration/cli.test.ts runs the command).
 */
import { describe, expect, it } from 'vitest';
import { formatProduceSummary, latencies, summarize } from '../../cli/benchReport.js';
import { lagRows } from '../../cli/commands/groups.js';
import { adminKeyFiles, defaultUrl, resolveConnection } from '../../cli/context.js';
import { describeFailure, EXIT, UsageError } from '../../cli/errors.js';
import { formatRecord, table } from '../../cli/format.js';
import {
  alterRequest,
  formatPermissions,
  parseAllow,
  parseConfig,
  parseDateTime,
  parseInteger,
  parseLine,
  parseTopicPartitions,
  parseTransactionLine,
  planResets,
  resetTarget,
  startPosition,
} from '../../cli/parse.js';
import { BrookError, type GroupDescription, type KafkaMessage } from '../../sdk/index.js';

const message = (overrides: Partial<KafkaMessage> = {}): KafkaMessage => ({
  offset: 7,
  timestamp: 1_700_000_000_000,
  key: Buffer.from('k1'),
  value: Buffer.from('hello'),
  headers: {},
  ...overrides,
});

describe('cli: parseAllow (--allow resource=operations)', () => {
  it('turns each --allow into a permission and merges a resource named twice', () => {
    // Act
    const permissions = parseAllow(['topic:orders=read,write', 'group:app-*=read', 'topic:orders=describe', 'cluster=ADMIN']);

    // Assess
    expect(permissions).toEqual([
      { resource: 'topic:orders', operations: ['read', 'write', 'describe'] },
      { resource: 'group:app-*', operations: ['read'] },
      { resource: 'cluster', operations: ['admin'] },
    ]);
    expect(formatPermissions(permissions)).toBe('topic:orders=read,write,describe group:app-*=read cluster=admin');
  });

  it.each([
    ['topic:orders', /resource=operation/],
    ['topic:orders=', /resource=operation/],
    ['=read', /resource=operation/],
    ['orders=read', /topic:<name>/],
    ['topic:=read', /topic:<name>/],
    ['topic:or/ders=read', /topic:<name>/],
    ['topic:orders=read,delete', /unknown operation "delete"/],
  ])('refuses %j', (raw, message) => {
    expect(() => parseAllow([raw])).toThrow(UsageError);
    expect(() => parseAllow([raw])).toThrow(message);
  });
});

describe('cli: parseLine (one record per input line)', () => {
  it('takes the whole line as the value without a separator', () => {
    expect(parseLine('a:b', undefined, 1)).toEqual({ value: 'a:b' });
  });

  it('splits at the first separator, keeping later ones in the value, and drops a CR', () => {
    expect(parseLine('k1:v:with:colons\r', ':', 1)).toEqual({ key: 'k1', value: 'v:with:colons' });
    expect(parseLine('::', ':', 1)).toEqual({ key: '', value: ':' });
    expect(parseLine('key=>value', '=>', 1)).toEqual({ key: 'key', value: 'value' });
  });

  it('names the line that has no separator', () => {
    expect(() => parseLine('no separator', ':', 42)).toThrow('line 42 has no key separator ":"');
  });
});

describe('cli: parseTransactionLine (produce --transactional)', () => {
  it('reads a JSON record with its topic, or the --topic default; a blank line is none', () => {
    expect(parseTransactionLine('{"topic":"a","partition":1,"key":"k","value":"v","headers":{"h":"x"},"timestamp":5}', 1)).toEqual({
      topic: 'a',
      message: { key: 'k', value: 'v', headers: { h: 'x' }, partition: 1, timestamp: 5 },
    });
    expect(parseTransactionLine('{"value":null,"key":null}', 2, 'fallback')).toEqual({ topic: 'fallback', message: { key: null, value: null } });
    expect(parseTransactionLine('{"topic":"a","value":{"total":12}}', 3)).toEqual({ topic: 'a', message: { value: '{"total":12}' } });
    expect(parseTransactionLine('   ', 4)).toBeUndefined();
  });

  it('names the line and what is wrong with it', () => {
    expect(() => parseTransactionLine('k:v', 3)).toThrow(/^line 3: is not JSON/);
    expect(() => parseTransactionLine('[1]', 1)).toThrow('line 1: is not a JSON object');
    expect(() => parseTransactionLine('{"value":"v"}', 2)).toThrow(/line 2: has no "topic"/);
    expect(() => parseTransactionLine('{"topic":"a"}', 2)).toThrow(/has no "value"/);
    expect(() => parseTransactionLine('{"topic":"a","value":"v","partition":-1}', 2)).toThrow(/"partition" is an integer/);
    expect(() => parseTransactionLine('{"topic":"a","value":"v","key":3}', 2)).toThrow(/"key" is a string or null/);
    expect(() => parseTransactionLine('{"topic":"a","value":"v","headers":{"h":1}}', 2)).toThrow(/"headers" maps names to strings/);
    expect(() => parseTransactionLine('{"topic":"a","value":"v","offset":1}', 2)).toThrow(/unknown field "offset"/);
    expect(() => parseTransactionLine('{"value":"v"}', 2)).toThrow(UsageError);
  });
});

describe('cli: topic config', () => {
  it('reads key=value, with Kafka dotted names and integers for numeric keys', () => {
    expect(parseConfig(['retention.ms=86400000', 'cleanupPolicy=compact', 'maxMessageBytes=1024'])).toEqual({
      retentionMs: 86_400_000,
      cleanupPolicy: 'compact',
      maxMessageBytes: 1024,
    });
    expect(() => parseConfig(['retentionMs=soon'])).toThrow(/retentionMs must be an integer/);
    expect(() => parseConfig(['retentionMs'])).toThrow(/key=value/);
  });

  it('builds an alter request, with --delete-config as null, and refuses an empty one', () => {
    expect(alterRequest({ partitions: '6', config: ['retentionMs=-1'], deleteConfig: ['cleanup.policy'] })).toEqual({
      partitions: 6,
      config: { retentionMs: -1, cleanupPolicy: null },
    });
    expect(() => alterRequest({})).toThrow(/nothing to change/);
  });
});

describe('cli: numbers, times and start positions', () => {
  it('parses integers within bounds only', () => {
    expect(parseInteger('12', '--n')).toBe(12);
    expect(parseInteger('-1', '--n', { min: -1 })).toBe(-1);
    expect(() => parseInteger('1.5', '--n')).toThrow('--n must be an integer >= 0, got "1.5"');
    expect(() => parseInteger('0', '--partitions', { min: 1, max: 1000 })).toThrow('from 1 to 1000');
  });

  it('parses ISO times and epoch milliseconds', () => {
    expect(parseDateTime('2027-01-01T00:00:00Z', '--expires')).toBe(Date.UTC(2027, 0, 1));
    expect(parseDateTime('1700000000000', '--expires')).toBe(1_700_000_000_000);
    expect(() => parseDateTime('next tuesday', '--to-datetime')).toThrow(/ISO 8601/);
  });

  it('starts at --offset, else the log start with --from-beginning, else the end', () => {
    expect(startPosition({})).toBe('latest');
    expect(startPosition({ fromBeginning: true })).toBe('earliest');
    expect(startPosition({ offset: '42' })).toBe(42);
    expect(startPosition({ offset: 'earliest' })).toBe('earliest');
    expect(() => startPosition({ offset: 'soon' })).toThrow(UsageError);
  });
});

describe('cli: reset-offsets planning', () => {
  it('wants exactly one target', () => {
    expect(resetTarget({ toEarliest: true })).toBe('earliest');
    expect(resetTarget({ toDatetime: '2026-01-31T12:00:00Z' })).toEqual({ timestamp: Date.UTC(2026, 0, 31, 12) });
    expect(resetTarget({ shiftBy: '-10' })).toEqual({ shiftBy: -10 });
    expect(() => resetTarget({})).toThrow(/exactly one .* \(got none\)/);
    expect(() => resetTarget({ toEarliest: true, toOffset: '3' })).toThrow(/got 2/);
  });

  it('is a dry run unless --execute, per topic, merging partitions of a topic named twice', () => {
    // Act
    const plan = planResets({ topic: ['orders:1', 'payments', 'orders:0,1'], toOffset: '5' }, []);

    // Assess
    expect(plan).toEqual([
      { topic: 'orders', partitions: [0, 1], to: { offset: 5 }, dryRun: true },
      { topic: 'payments', to: { offset: 5 }, dryRun: true },
    ]);
    expect(planResets({ topic: ['orders'], toLatest: true, execute: true }, [])[0]!.dryRun).toBe(false);
  });

  it('takes the committed topics with --all-topics, and refuses what makes no sense', () => {
    expect(planResets({ allTopics: true, toEarliest: true }, ['b', 'a', 'b']).map((r) => r.topic)).toEqual(['a', 'b']);
    expect(() => planResets({ allTopics: true, toEarliest: true }, [])).toThrow(/no committed offsets/);
    expect(() => planResets({ toEarliest: true }, [])).toThrow(/--topic .* or --all-topics/);
    expect(() => planResets({ topic: ['a'], allTopics: true, toEarliest: true }, [])).toThrow(/exclude/);
    expect(() => planResets({ topic: ['a'], toEarliest: true, execute: true, dryRun: true }, [])).toThrow(/exclude/);
  });

  it('reads Kafka-style topic:partitions', () => {
    expect(parseTopicPartitions('my.topic')).toEqual({ topic: 'my.topic' });
    expect(parseTopicPartitions('orders:2,0,2')).toEqual({ topic: 'orders', partitions: [0, 2] });
    expect(() => parseTopicPartitions('orders:x')).toThrow(UsageError);
  });
});

describe('cli: output', () => {
  it('prints records like kafka-console-consumer: chosen fields, tab-separated, null and NO_HEADERS', () => {
    const record = { topic: 'orders', partition: 2, message: message() };
    expect(formatRecord(record)).toBe('hello');
    expect(formatRecord(record, { printKey: true, printOffset: true, printPartition: true, printTimestamp: true, printHeaders: true })).toBe(
      'CreateTime:1700000000000\tPartition:2\tOffset:7\tNO_HEADERS\tk1\thello',
    );
    const tombstone = { topic: 'orders', partition: 0, message: message({ key: null, value: null, headers: { a: Buffer.from('1'), b: Buffer.from('2') } }) };
    expect(formatRecord(tombstone, { printKey: true, printHeaders: true, separator: ' | ' })).toBe('a:1,b:2 | null | null');
  });

  it('prints a record as one JSON object with every field', () => {
    const line = formatRecord({ topic: 'orders', partition: 1, message: message({ headers: { h: Buffer.from('v') } }) }, { format: 'json' });
    expect(JSON.parse(line)).toEqual({ topic: 'orders', partition: 1, offset: 7, timestamp: 1_700_000_000_000, key: 'k1', value: 'hello', headers: { h: 'v' } });
  });

  it('draws borderless tables with padded columns and - for missing cells', () => {
    expect(table(['TOPIC', 'PARTITIONS'], [['orders', 3], ['a-much-longer-name', null]]).split('\n')).toEqual([
      'TOPIC               PARTITIONS',
      'orders              3',
      'a-much-longer-name  -',
    ]);
  });

  it('builds the lag table from commits, assignments and every partition of the topics', () => {
    // Prepare
    const group: GroupDescription = {
      group: 'billing',
      state: 'Stable',
      generation: 3,
      members: [{ memberId: 'm-1', clientId: 'cli', instanceId: null, assignment: [{ topic: 'orders', partitions: [1, 0] }], expiresAt: 0 }],
      offsets: [
        { topic: 'orders', partition: 0, offset: 5, metadata: null, highWatermark: 9, lag: 4 },
        { topic: 'audit', partition: 0, offset: 1, metadata: null, highWatermark: 1, lag: 0 },
      ],
    };

    // Act
    const rows = lagRows(group, new Map([['orders\u00001', 12], ['orders\u00000', 9], ['orders\u00002', 4]]));

    // Assess
    expect(rows).toEqual([
      { topic: 'audit', partition: 0, currentOffset: 1, logEndOffset: 1, lag: 0, memberId: null, clientId: null },
      { topic: 'orders', partition: 0, currentOffset: 5, logEndOffset: 9, lag: 4, memberId: 'm-1', clientId: 'cli' },
      { topic: 'orders', partition: 1, currentOffset: null, logEndOffset: 12, lag: null, memberId: 'm-1', clientId: 'cli' },
      { topic: 'orders', partition: 2, currentOffset: null, logEndOffset: 4, lag: null, memberId: null, clientId: null },
    ]);
  });

  it('summarizes a benchmark like kafka-producer-perf-test', () => {
    // Prepare
    const latency = latencies();
    for (let ms = 1; ms <= 100; ms++) latency.record(ms);

    // Act
    const summary = summarize(2000, 2_097_152, 2000, latency.stats());

    // Assess
    expect(summary).toMatchObject({ records: 2000, recordsPerSec: 1000, mbPerSec: 1, errors: 0 });
    expect(summary.latencyMs.p50).toBeCloseTo(50, 0);
    expect(summary.latencyMs.p99).toBeCloseTo(99, 0);
    expect(summary.latencyMs.max).toBeCloseTo(100, 0);
    expect(formatProduceSummary(summary)).toMatch(/^2000 records sent, 1000\.0 records\/sec \(1\.00 MB\/sec\), 50\.\d\d ms avg latency, 100\.\d\d ms max latency/);
  });

  it('never reports a percentile above the largest latency seen (HDR buckets round up)', () => {
    const latency = latencies();
    for (let i = 0; i < 100; i++) latency.record(254.35);
    const stats = latency.stats();
    for (const p of [stats.p50, stats.p95, stats.p99, stats.p999]) expect(p).toBeLessThanOrEqual(stats.max);
  });
});

describe('cli: connection and failures', () => {
  it('defaults to the local stack and finds its saved admin key in this folder or a parent', () => {
    // Prepare
    const read = (file: string) => (file === '/home/me/brook/.brook/admin-key' ? 'brook_saved' : undefined);

    // Act
    const connection = resolveConnection({}, { env: {}, cwd: '/home/me/brook/docs', read });

    // Assess
    expect(connection).toEqual({ url: 'http://127.0.0.1:8080', apiKey: 'brook_saved', keySource: 'file', keyFile: '/home/me/brook/.brook/admin-key' });
    expect(defaultUrl({ BROOK_PORT: '9090' })).toBe('http://127.0.0.1:9090');
    expect(adminKeyFiles('/x', { BROOK_DATA_DIR: 'data' })).toEqual(['/x/data/admin-key']);
  });

  it('uses a given key, and never reads the saved one for a remote url', () => {
    const read = () => 'brook_saved';
    expect(resolveConnection({ url: 'https://api.example.com', apiKey: 'k' }, { env: {}, cwd: '/', read }).apiKey).toBe('k');
    expect(() => resolveConnection({ url: 'https://api.example.com' }, { env: {}, cwd: '/', read })).toThrow('no API key: pass --api-key or set BROOK_API_KEY');
    expect(() => resolveConnection({ url: 'ftp://x' }, { env: {}, cwd: '/', read })).toThrow(/http\(s\) url/);
  });

  it('gives one line and an exit code per kind of failure', () => {
    expect(describeFailure(new UsageError('--topic is missing'))).toEqual({ line: '--topic is missing', exitCode: EXIT.usage });
    expect(describeFailure(new BrookError('TOPIC_NOT_FOUND', 'topic "x" does not exist', { requestId: 'r-1' }))).toEqual({
      line: 'TOPIC_NOT_FOUND: topic "x" does not exist',
      exitCode: EXIT.server,
    });
    expect(describeFailure(new BrookError('INTERNAL', 'internal error', { requestId: 'r-2' })).line).toBe('INTERNAL: internal error (request r-2)');
    expect(describeFailure(new BrookError('UNAVAILABLE', 'could not reach http://127.0.0.1:8080: fetch failed', { origin: 'sdk' })).exitCode).toBe(EXIT.unreachable);
    expect(describeFailure(new Error('boom\n    at x (y.ts:1:1)'))).toEqual({ line: 'unexpected error: boom at x (y.ts:1:1)', exitCode: EXIT.server });
  });
});
