/**
 * A proxy between Brook and a storage emulator (DynamoDB Local or the S3
 * emulator) that misbehaves on purpose, as AWS sometimes does: per call it
 * can add latency, throttle with the service's own error (status, headers and
 * body as DynamoDB and S3 send them), reset the connection before the request
 * reaches storage, or perform the request and lose the answer. Rules pick
 * calls by service operation, table, HTTP method, a fraction of calls or the
 * Nth one. The local stack and the tests point at it with
 * `BROOK_DYNAMODB_ENDPOINT` / `BROOK_S3_ENDPOINT` (or `dynamoDbEndpoint` /
 * `s3Endpoint` in a config).
 */
import { randomUUID } from 'node:crypto';
import { Agent, createServer, request as forward, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { seededRandom } from './random.js';

export type Service = 'dynamodb' | 's3';

/** What a rule knows of a call. */
export interface StorageCall {
  service: Service;
  method: string;
  /** DynamoDB: the operation (`PutItem`, `Query`, ...); S3: `PUT`, `GET`, ... (the method). */
  operation: string;
  /** The tables a DynamoDB call touches (none for S3). */
  tables: string[];
}

export type FaultAction =
  /** Waits `ms` before forwarding. */
  | { kind: 'delay'; ms: number }
  /** Answers with the service's throttling error; storage never sees the call. */
  | { kind: 'throttle' }
  /** Closes the connection before the call reaches storage. */
  | { kind: 'reset' }
  /** Forwards the call, lets storage perform it, then closes the connection instead of answering. */
  | { kind: 'lostAnswer' };

export interface FaultRule {
  action: FaultAction;
  /** Calls of this operation only (e.g. `PutItem`, `UpdateItem`, `PUT`). */
  operation?: string | readonly string[];
  /** Calls touching a table whose name ends with this (e.g. `-log`). */
  table?: string;
  /** This share of the matching calls (0..1), chosen by the proxy's seeded random. @default 1 */
  fraction?: number;
  /** Only the Nth matching call (1-based). */
  nth?: number;
}

export interface StorageProxy {
  readonly endpoint: string;
  /** Replaces the rules (the first that matches a call decides it) and starts the counts again; `[]` makes the proxy a plain one. */
  setRules(rules: readonly FaultRule[]): void;
  /** Calls seen since the rules were set, and how many each kind of fault hit. */
  stats(): { calls: number; faults: Record<FaultAction['kind'], number> };
  stop(): Promise<void>;
}

const THROTTLE_ANSWERS: Record<Service, { status: number; headers: Record<string, string>; body: () => string }> = {
  dynamodb: {
    status: 400,
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-errortype': 'ProvisionedThroughputExceededException' },
    body: () =>
      JSON.stringify({
        __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
        message: 'The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.',
      }),
  },
  s3: {
    status: 503,
    headers: { 'content-type': 'application/xml' },
    body: () =>
      `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message><RequestId>${randomUUID()}</RequestId><HostId>brook-fault-proxy</HostId></Error>`,
  },
};

/** The tables named in a DynamoDB request body. */
function tablesOf(body: Buffer): string[] {
  try {
    const input = JSON.parse(body.toString('utf8')) as { TableName?: string; RequestItems?: object; TransactItems?: Record<string, { TableName?: string }>[] };
    const tables = new Set<string>();
    if (input.TableName) tables.add(input.TableName);
    for (const name of Object.keys(input.RequestItems ?? {})) tables.add(name);
    for (const item of input.TransactItems ?? []) for (const part of Object.values(item)) if (part.TableName) tables.add(part.TableName);
    return [...tables];
  } catch {
    return [];
  }
}

function describeCall(service: Service, req: IncomingMessage, body: Buffer): StorageCall {
  const method = req.method ?? 'GET';
  if (service === 's3') return { service, method, operation: method, tables: [] };
  const target = req.headers['x-amz-target'];
  const operation = typeof target === 'string' ? (target.split('.').pop() ?? '') : '';
  return { service, method, operation, tables: tablesOf(body) };
}

/** Starts a proxy for `service` on a free loopback port, forwarding to `upstream`. */
export async function startStorageProxy(service: Service, upstream: string, options: { rules?: readonly FaultRule[]; seed?: number } = {}): Promise<StorageProxy> {
  const target = new URL(upstream);
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const random = seededRandom(options.seed ?? 1);
  let rules: readonly FaultRule[] = options.rules ?? [];
  const matched = new Map<FaultRule, number>();
  let calls = 0;
  const faults: Record<FaultAction['kind'], number> = { delay: 0, throttle: 0, reset: 0, lostAnswer: 0 };

  const ruleFor = (call: StorageCall): FaultRule | undefined =>
    rules.find((rule) => {
      const operations = rule.operation === undefined ? undefined : typeof rule.operation === 'string' ? [rule.operation] : rule.operation;
      if (operations && !operations.includes(call.operation)) return false;
      if (rule.table !== undefined && !call.tables.some((table) => table.endsWith(rule.table!))) return false;
      const count = (matched.get(rule) ?? 0) + 1;
      matched.set(rule, count);
      if (rule.nth !== undefined) return count === rule.nth;
      return random() < (rule.fraction ?? 1);
    });

  const relay = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    calls++;
    const action = ruleFor(describeCall(service, req, body))?.action;
    if (action) faults[action.kind]++;
    if (action?.kind === 'reset') {
      req.socket.destroy();
      return;
    }
    if (action?.kind === 'throttle') {
      const answer = THROTTLE_ANSWERS[service];
      res.writeHead(answer.status, answer.headers);
      res.end(answer.body());
      return;
    }
    if (action?.kind === 'delay') await sleep(action.ms);
    const out = forward({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers, agent }, (answer) => {
      if (action?.kind === 'lostAnswer') {
        // Storage has done the work; the caller never hears of it.
        answer.resume();
        answer.once('end', () => req.socket.destroy());
        return;
      }
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    out.on('error', () => req.socket.destroy());
    out.end(body);
  };

  const server = createServer((req, res) => void relay(req, res).catch(() => req.socket.destroy()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    setRules(next) {
      rules = next;
      matched.clear();
      calls = 0;
      for (const kind of Object.keys(faults) as FaultAction['kind'][]) faults[kind] = 0;
    },
    stats: () => ({ calls, faults: { ...faults } }),
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}
