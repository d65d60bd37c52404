/**
 * Pure parsers of command-line values and input lines: no I/O, so they are
 * unit-tested on their own (test/unit/cliParse.test.ts). Each throws a
 * `UsageError` whose message names the option and what it expects.
 */
import { OPERATIONS, RESOURCE_PATTERN, type Operation, type Permission } from '../protocol/permissions.js';
import type {
  AlterSubscriptionRequest,
  AlterTopicRequest,
  CreateSubscriptionRequest,
  Encoding,
  ResetOffsetsRequest,
  ResetSubscriptionRequest,
  ResetTarget,
  SubscriptionSettings,
  SubscriptionStart,
  TopicConfig,
} from '../sdk/index.js';
import { UsageError } from './errors.js';

/** An integer option: `--partitions 3`. */
export function parseInteger(raw: string, option: string, { min = 0, max = Number.MAX_SAFE_INTEGER }: { min?: number; max?: number } = {}): number {
  const value = /^[+-]?\d+$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`;
    throw new UsageError(`${option} must be ${range}, got "${raw}"`);
  }
  return value;
}

/** A time: ISO 8601 (`2026-01-31T12:00:00Z`, `2026-01-31`) or epoch milliseconds. */
export function parseDateTime(raw: string, option: string): number {
  const text = raw.trim();
  const ms = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isSafeInteger(ms) || ms < 0) {
    throw new UsageError(`${option} must be an ISO 8601 time (2026-01-31T12:00:00Z) or epoch milliseconds, got "${raw}"`);
  }
  return ms;
}

// ---- produce: one record per line ------------------------------------------------------------

export interface ParsedLine {
  key?: string;
  value: string;
}

/**
 * One input line as a record, as kafka-console-producer reads it: with a key
 * separator, the key is what comes before its first occurrence and the value
 * what follows; a line without it is an error (`lineNumber` from 1).
 */
export function parseLine(line: string, keySeparator: string | undefined, lineNumber: number): ParsedLine {
  const text = line.endsWith('\r') ? line.slice(0, -1) : line;
  if (keySeparator === undefined) return { value: text };
  const at = text.indexOf(keySeparator);
  if (at < 0) throw new UsageError(`line ${lineNumber} has no key separator "${keySeparator}"`);
  return { key: text.slice(0, at), value: text.slice(at + keySeparator.length) };
}

/** `--header name=value` (repeatable) into a headers object. */
export function parseHeaders(raws: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const raw of raws) {
    const at = raw.indexOf('=');
    if (at <= 0) throw new UsageError(`--header must be name=value, got "${raw}"`);
    headers[raw.slice(0, at)] = raw.slice(at + 1);
  }
  return headers;
}

/** One record of `produce --transactional`: its topic and the message the SDK sends. */
export interface TransactionLine {
  topic: string;
  message: { key?: string | null; value: string | null; headers?: Record<string, string>; partition?: number; timestamp?: number };
}

const TRANSACTION_LINE_FIELDS = new Set(['topic', 'partition', 'key', 'value', 'headers', 'timestamp']);

/**
 * One line of `produce --transactional`: a JSON object
 * `{"topic", "partition"?, "key"?, "value", "headers"?, "timestamp"?}` (the
 * topic may come from `--topic` instead). A `null` value is a tombstone; a
 * value that is not a string is sent as its JSON text, as a JSON produce
 * stores it. A blank line is no record (undefined).
 */
export function parseTransactionLine(line: string, lineNumber: number, defaultTopic?: string): TransactionLine | undefined {
  if (line.trim() === '') return undefined;
  const bad = (what: string) => new UsageError(`line ${lineNumber}: ${what}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    throw bad('is not JSON (each line is {"topic", "partition"?, "key"?, "value", "headers"?})');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw bad('is not a JSON object');
  const record = parsed as Record<string, unknown>;
  const unknown = Object.keys(record).filter((field) => !TRANSACTION_LINE_FIELDS.has(field));
  if (unknown.length > 0) throw bad(`unknown field "${unknown[0]}" (a line has topic, partition, key, value, headers, timestamp)`);
  const topic = record.topic ?? defaultTopic;
  if (typeof topic !== 'string' || topic === '') throw bad('has no "topic" (give one on each line, or --topic)');
  if (!('value' in record)) throw bad('has no "value" (null for a tombstone)');
  const { key, value, headers, partition, timestamp } = record;
  const message: TransactionLine['message'] = { value: value === null ? null : typeof value === 'string' ? value : JSON.stringify(value) };
  if (key !== undefined) {
    if (key !== null && typeof key !== 'string') throw bad('"key" is a string or null');
    message.key = key;
  }
  if (partition !== undefined) {
    if (!Number.isSafeInteger(partition) || (partition as number) < 0) throw bad('"partition" is an integer >= 0');
    message.partition = partition as number;
  }
  if (timestamp !== undefined) {
    if (!Number.isSafeInteger(timestamp) || (timestamp as number) < 0) throw bad('"timestamp" is epoch milliseconds');
    message.timestamp = timestamp as number;
  }
  if (headers !== undefined) {
    if (headers === null || typeof headers !== 'object' || Array.isArray(headers) || Object.values(headers).some((v) => typeof v !== 'string')) {
      throw bad('"headers" maps names to strings');
    }
    message.headers = headers as Record<string, string>;
  }
  return { topic, message };
}

// ---- topics: --config ------------------------------------------------------------------------

/** Kafka's dotted names are accepted too: `retention.ms=86400000`. */
const CONFIG_ALIASES: Record<string, keyof TopicConfig> = {
  'retention.ms': 'retentionMs',
  'retention.bytes': 'retentionBytes',
  'cleanup.policy': 'cleanupPolicy',
  'max.message.bytes': 'maxMessageBytes',
};
const NUMERIC_CONFIG = new Set<string>(['retentionMs', 'retentionBytes', 'maxMessageBytes']);

function configKey(raw: string): string {
  return CONFIG_ALIASES[raw] ?? raw;
}

/**
 * `--config retentionMs=86400000 --config cleanup.policy=compact` into a topic
 * config. Values of numeric keys must be integers; unknown keys go to the
 * server as they are, which answers `INVALID_CONFIG` for them.
 */
export function parseConfig(raws: readonly string[]): Record<string, string | number> {
  const config: Record<string, string | number> = {};
  for (const raw of raws) {
    const at = raw.indexOf('=');
    if (at <= 0) throw new UsageError(`--config must be key=value (e.g. retentionMs=86400000), got "${raw}"`);
    const key = configKey(raw.slice(0, at).trim());
    const value = raw.slice(at + 1).trim();
    if (NUMERIC_CONFIG.has(key)) config[key] = parseInteger(value, `--config ${key}`, { min: -1 });
    else config[key] = /^-?\d+$/.test(value) ? Number(value) : value;
  }
  return config;
}

/** `topics alter`: new partition count, config changes, and keys put back to their defaults. */
export function alterRequest(options: { partitions?: string; config?: readonly string[]; deleteConfig?: readonly string[] }): AlterTopicRequest {
  const request: { partitions?: number; config?: Record<string, string | number | null> } = {};
  if (options.partitions !== undefined) request.partitions = parseInteger(options.partitions, '--partitions', { min: 1, max: 1000 });
  const config: Record<string, string | number | null> = { ...parseConfig(options.config ?? []) };
  for (const raw of options.deleteConfig ?? []) config[configKey(raw.trim())] = null;
  if (Object.keys(config).length > 0) request.config = config;
  if (request.partitions === undefined && request.config === undefined) {
    throw new UsageError('nothing to change: give --partitions, --config key=value or --delete-config key');
  }
  return request as AlterTopicRequest;
}

// ---- consume: start position -----------------------------------------------------------------

/** Where a group-less consumer starts: an offset, or the log start or end. */
export type StartAt = 'earliest' | 'latest' | number;

/** `--offset N|earliest|latest`, else `--from-beginning`, else the end (what kafka-console-consumer does). */
export function startPosition(options: { offset?: string; fromBeginning?: boolean }): StartAt {
  if (options.offset === undefined) return options.fromBeginning ? 'earliest' : 'latest';
  const raw = options.offset.trim();
  if (raw === 'earliest' || raw === 'latest') return raw;
  return parseInteger(raw, '--offset', { min: 0 });
}

// ---- groups reset-offsets --------------------------------------------------------------------

export interface ResetOptions {
  toEarliest?: boolean;
  toLatest?: boolean;
  toDatetime?: string;
  toOffset?: string;
  shiftBy?: string;
  execute?: boolean;
  dryRun?: boolean;
}

/** Exactly one `--to-*` / `--shift-by` option, as the contract's `to`. */
export function resetTarget(options: ResetOptions): ResetTarget {
  const given: ResetTarget[] = [];
  if (options.toEarliest) given.push('earliest');
  if (options.toLatest) given.push('latest');
  if (options.toDatetime !== undefined) given.push({ timestamp: parseDateTime(options.toDatetime, '--to-datetime') });
  if (options.toOffset !== undefined) given.push({ offset: parseInteger(options.toOffset, '--to-offset', { min: 0 }) });
  if (options.shiftBy !== undefined) given.push({ shiftBy: parseInteger(options.shiftBy, '--shift-by', { min: Number.MIN_SAFE_INTEGER }) });
  if (given.length !== 1) {
    throw new UsageError(
      `give exactly one of --to-earliest, --to-latest, --to-datetime, --to-offset or --shift-by (got ${given.length === 0 ? 'none' : given.length})`,
    );
  }
  return given[0]!;
}

/** `--dry-run` is the default; `--execute` applies. Both together is a mistake. */
export function isDryRun(options: ResetOptions): boolean {
  if (options.execute && options.dryRun) throw new UsageError('--dry-run and --execute exclude each other');
  return !options.execute;
}

/** `--topic orders` or `--topic orders:0,2` (Kafka's form): the topic and, optionally, some partitions. */
export function parseTopicPartitions(raw: string): { topic: string; partitions?: number[] } {
  const at = raw.lastIndexOf(':');
  if (at < 0) return { topic: raw };
  const topic = raw.slice(0, at);
  if (topic === '') throw new UsageError(`--topic must be a topic or topic:partition,partition, got "${raw}"`);
  const partitions = raw
    .slice(at + 1)
    .split(',')
    .map((part) => parseInteger(part, `the partitions of --topic ${topic}`, { min: 0 }));
  return { topic, partitions: [...new Set(partitions)].sort((a, b) => a - b) };
}

/** A one-word description of a reset target, for messages: `earliest`, `offset 42`, `shift -10`. */
export function describeTarget(target: ResetTarget): string {
  if (typeof target === 'string') return target;
  if ('timestamp' in target) return `time ${new Date(target.timestamp).toISOString()}`;
  if ('offset' in target) return `offset ${target.offset}`;
  return `shift ${target.shiftBy > 0 ? '+' : ''}${target.shiftBy}`;
}

// ---- keys: --allow ---------------------------------------------------------------------------


/**
 * `--allow topic:orders=read,write --allow group:app-*=read --allow cluster=admin`
 * into the contract's permissions. A resource named twice gets the union of
 * its operations.
 */
export function parseAllow(raws: readonly string[]): Permission[] {
  const byResource = new Map<string, Set<Operation>>();
  for (const raw of raws) {
    const at = raw.lastIndexOf('=');
    const resource = at < 0 ? '' : raw.slice(0, at).trim();
    const operations = at < 0 ? [] : raw.slice(at + 1).split(',').map((op) => op.trim().toLowerCase());
    if (at < 0 || resource === '' || operations.every((op) => op === '')) {
      throw new UsageError(`--allow must be resource=operation[,operation] (e.g. topic:orders=read,write), got "${raw}"`);
    }
    if (!RESOURCE_PATTERN.test(resource)) {
      throw new UsageError(
        `--allow "${raw}": the resource must be topic:<name>, topic:<prefix>*, group:<name>, group:<prefix>* or cluster`,
      );
    }
    const set = byResource.get(resource) ?? new Set<Operation>();
    for (const op of operations) {
      if (!(OPERATIONS as readonly string[]).includes(op)) {
        throw new UsageError(`--allow "${raw}": unknown operation "${op}" (operations: ${OPERATIONS.join(', ')})`);
      }
      set.add(op as Operation);
    }
    byResource.set(resource, set);
  }
  return [...byResource].map(([resource, operations]) => ({
    resource,
    operations: OPERATIONS.filter((op) => operations.has(op)),
  }));
}

/** Permissions back as `--allow` text: `topic:orders=read,write group:app-*=read`. */
export function formatPermissions(permissions: readonly Permission[]): string {
  return permissions.map(({ resource, operations }) => `${resource}=${operations.join(',')}`).join(' ');
}

/**
 * The reset requests of `groups reset-offsets`: one per topic, from `--topic`
 * values (`orders` or `orders:0,1`) or, with `--all-topics`, every topic the
 * group has committed offsets for.
 */
export function planResets(
  options: ResetOptions & { topic?: readonly string[]; allTopics?: boolean },
  committedTopics: readonly string[],
): ResetOffsetsRequest[] {
  const to = resetTarget(options);
  const dryRun = isDryRun(options);
  const specs = options.topic ?? [];
  if (options.allTopics && specs.length > 0) throw new UsageError('--topic and --all-topics exclude each other');
  if (!options.allTopics && specs.length === 0) throw new UsageError('name the topics to reset: --topic <topic[:partitions]> or --all-topics');
  if (options.allTopics) {
    const topics = [...new Set(committedTopics)].sort();
    if (topics.length === 0) throw new UsageError('the group has no committed offsets: name the topics with --topic');
    return topics.map((topic) => ({ topic, to, dryRun }));
  }
  const byTopic = new Map<string, number[] | undefined>();
  for (const spec of specs) {
    const { topic, partitions } = parseTopicPartitions(spec);
    if (byTopic.has(topic)) {
      const known = byTopic.get(topic);
      // Every partition wins over some; otherwise the union.
      byTopic.set(topic, known === undefined || partitions === undefined ? undefined : [...new Set([...known, ...partitions])].sort((a, b) => a - b));
    } else {
      byTopic.set(topic, partitions);
    }
  }
  return [...byTopic].map(([topic, partitions]) => ({ topic, ...(partitions ? { partitions } : {}), to, dryRun }));
}

// ---- subscriptions ---------------------------------------------------------------------------

/** The settings options of `subscriptions create` and `alter`, as commander gives them. */
export interface SubscriptionSettingOptions {
  batchSize?: string;
  batchingWindowMs?: string;
  maxRetries?: string;
  maxRecordAgeMs?: string;
  /** A topic, or `false` for `--no-on-failure` (alter). */
  onFailure?: string | false;
}

/**
 * The settings given, as the contract's fields. Only the lower bounds are
 * checked here; the server answers `INVALID_REQUEST` with its limits for
 * the rest (batch size up to 10000, a record age of -1 or at least 60000 ms, ...).
 */
export function subscriptionSettings(options: SubscriptionSettingOptions): Partial<SubscriptionSettings> {
  const settings: Partial<SubscriptionSettings> = {};
  if (options.batchSize !== undefined) settings.batchSize = parseInteger(options.batchSize, '--batch-size', { min: 1 });
  if (options.batchingWindowMs !== undefined) settings.maxBatchingWindowMs = parseInteger(options.batchingWindowMs, '--batching-window-ms', { min: 0 });
  if (options.maxRetries !== undefined) settings.maxRetries = parseInteger(options.maxRetries, '--max-retries', { min: -1 });
  if (options.maxRecordAgeMs !== undefined) settings.maxRecordAgeMs = parseInteger(options.maxRecordAgeMs, '--max-record-age-ms', { min: -1 });
  if (options.onFailure === false) settings.onFailure = null;
  else if (options.onFailure !== undefined) {
    if (options.onFailure.trim() === '') throw new UsageError('--on-failure must name a topic');
    settings.onFailure = { topic: options.onFailure.trim() };
  }
  return settings;
}

/** `--start-at earliest|latest|<time>` (ISO 8601 or epoch ms: the first record at or after it). */
export function parseStartAt(raw: string): SubscriptionStart {
  const text = raw.trim();
  if (text === 'earliest' || text === 'latest') return text;
  if (!/^\d+$/.test(text) && Number.isNaN(Date.parse(text))) {
    throw new UsageError(`--start-at must be earliest, latest, or a time (ISO 8601 or epoch ms), got "${raw}"`);
  }
  return { timestamp: parseDateTime(text, '--start-at') };
}

export interface CreateSubscriptionOptions extends SubscriptionSettingOptions {
  topic: string;
  webhookUrl?: string;
  functionArn?: string;
  startAt?: string;
  encoding?: string;
}

/** `subscriptions create <name> ...`: exactly one target, a start, an encoding and the settings given. */
export function createSubscriptionRequest(name: string, options: CreateSubscriptionOptions): CreateSubscriptionRequest {
  if ((options.webhookUrl === undefined) === (options.functionArn === undefined)) {
    throw new UsageError(`give exactly one target: --webhook-url <url> or --function-arn <arn> (got ${options.webhookUrl === undefined ? 'none' : 'both'})`);
  }
  const target: CreateSubscriptionRequest['target'] =
    options.webhookUrl !== undefined ? { type: 'http', url: options.webhookUrl } : { type: 'lambda', functionArn: options.functionArn! };
  let encoding: Encoding | undefined;
  if (options.encoding !== undefined) {
    if (options.encoding !== 'utf8' && options.encoding !== 'base64') throw new UsageError(`--encoding must be utf8 or base64, got "${options.encoding}"`);
    encoding = options.encoding;
  }
  const { onFailure, ...settings } = subscriptionSettings(options);
  return {
    name,
    topic: options.topic,
    target,
    ...(options.startAt !== undefined ? { startAt: parseStartAt(options.startAt) } : {}),
    ...(encoding !== undefined ? { encoding } : {}),
    ...settings,
    ...(onFailure ? { onFailure } : {}),
  };
}

/** `subscriptions alter <name> ...`: the settings given; none is a usage error. */
export function alterSubscriptionRequest(options: SubscriptionSettingOptions): AlterSubscriptionRequest {
  const request = subscriptionSettings(options);
  if (Object.keys(request).length === 0) {
    throw new UsageError(
      'nothing to change: give --batch-size, --batching-window-ms, --max-retries, --max-record-age-ms, --on-failure <topic> or --no-on-failure',
    );
  }
  return request;
}

/** `--partitions 0,2`: distinct partition numbers, sorted. */
export function parsePartitionList(raw: string, option = '--partitions'): number[] {
  const partitions = raw.split(',').map((part) => parseInteger(part, `each of ${option}`, { min: 0 }));
  return [...new Set(partitions)].sort((a, b) => a - b);
}

/** `subscriptions reset <name>`: exactly one of `--to earliest|latest|<offset>` and `--to-timestamp <time>`, and maybe `--partitions`. */
export function resetSubscriptionRequest(options: { to?: string; toTimestamp?: string; partitions?: string }): ResetSubscriptionRequest {
  if ((options.to === undefined) === (options.toTimestamp === undefined)) {
    throw new UsageError(`give exactly one of --to earliest|latest|<offset> and --to-timestamp <time> (got ${options.to === undefined ? 'none' : 'both'})`);
  }
  let to: ResetSubscriptionRequest['to'];
  if (options.toTimestamp !== undefined) to = { timestamp: parseDateTime(options.toTimestamp, '--to-timestamp') };
  else {
    const raw = options.to!.trim();
    if (raw === 'earliest' || raw === 'latest') to = raw;
    else if (/^[+-]?\d+$/.test(raw)) to = { offset: parseInteger(raw, '--to', { min: 0 }) };
    else throw new UsageError(`--to must be earliest, latest or an offset, got "${options.to}" (a time goes to --to-timestamp)`);
  }
  return { to, ...(options.partitions !== undefined ? { partitions: parsePartitionList(options.partitions) } : {}) };
}
