import { readFileSync } from 'node:fs';
import SwaggerParser from '@apidevtools/swagger-parser';
// ajv comes with swagger-parser (which validates the document with it); here it checks examples against the document's schemas.
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import * as z from 'zod';
import type { ApiKeyStore, Principal } from '../../functions/auth/ApiKeyStore.js';
import { createKeyBodySchema, KEY_LIMITS, keyRoutes, MAX_EXPIRES_AT } from '../../functions/auth/keyRoutes.js';
import { ADMIN_PERMISSIONS } from '../../functions/auth/permissions.js';
import { FETCH_LIMITS, MAX_WAIT_MS } from '../../protocol/limits.js';
import { OPERATIONS, RESOURCE_PATTERN } from '../../protocol/permissions.js';
import { KEY_ID_PATTERN } from '../../functions/auth/secrets.js';
import { SESSION_TIMEOUT, type GroupCoordinator, type JoinInput, type ResetInput } from '../../functions/groups/GroupCoordinator.js';
import { commitBodySchema, groupRoutes, heartbeatBodySchema, joinBodySchema, resetBodySchema } from '../../functions/groups/groupRoutes.js';
import { handler as fallbackHandler } from '../../functions/handlers/fallback.js';
import { createHttpHandler, type RouteSpec } from '../../functions/http/httpHandler.js';
import { silentLogger } from '../../functions/http/logger.js';
import { ROUTES, routeKey } from '../../functions/layout/routes.js';
import { FetchService } from '../../functions/log/FetchService.js';
import { fetchRoutes, produceRoutes } from '../../functions/log/logRoutes.js';
import type { TransactionInput, TransactionService } from '../../functions/transactions/TransactionService.js';
import { transactionBodySchema, transactionRoutes } from '../../functions/transactions/transactionRoutes.js';
import { toJsonRecord } from '../../functions/log/recordJson.js';
import type { PartitionLog } from '../../functions/log/PartitionLog.js';
import { headFromItem } from '../../functions/log/headState.js';
import type { SnapshotReader, SnapshotRequest } from '../../functions/log/SnapshotReader.js';
import { ProduceService } from '../../functions/log/ProduceService.js';
import { MAX_PRODUCER_EPOCH, PRODUCER_ID_PATTERN, type ProducerRegistry } from '../../functions/log/ProducerRegistry.js';
import { FUNCTION_ARN_PATTERN, settingsWithDefaults, SUBSCRIPTION_DEFAULTS, type SubscriptionAdmin } from '../../functions/subscriptions/SubscriptionAdmin.js';
import {
  alterSubscriptionSchema,
  createSubscriptionSchema,
  resetSubscriptionSchema,
  SUBSCRIPTION_LIMITS,
  subscriptionRoutes,
} from '../../functions/subscriptions/subscriptionRoutes.js';
import { alterTopicSchema, createTopicSchema, DEFAULT_TOPIC_CONFIG } from '../../functions/topics/topicConfig.js';
import type { Topic, TopicRegistry } from '../../functions/topics/TopicRegistry.js';
import { topicRoutes } from '../../functions/topics/topicRoutes.js';
import { ERROR_TABLE, isErrorCode } from '../../protocol/errors.js';
import { GROUP_NAME_PATTERN, TOPIC_NAME_PATTERN } from '../../protocol/names.js';
import { encodeBatch, RECORD_BATCH_CONTENT_TYPE, type StoredRecord } from '../../protocol/recordBatch.js';
import type {
  AlterSubscriptionRequest,
  CreateSubscriptionRequest,
  DeliveryBatch,
  Permission,
  ResetSubscriptionRequest,
  SubscriptionDescription,
} from '../../protocol/types.js';
import { signDelivery, verifyDelivery } from '../../protocol/webhookSignature.js';
import { invoke, type ApiResponse } from '../helpers/apiEvent.js';

/** docs/openapi.yaml: the project's full reference, kept in step with docs/http.md and the code. */
const OPENAPI_PATH = new URL('../../docs/openapi.yaml', import.meta.url);

// Loose views of the parts of the document the checks read.
interface Reference {
  $ref: string;
}
interface MediaType {
  schema?: unknown;
  example?: unknown;
  examples?: Record<string, { value: unknown }>;
}
interface Response {
  description: string;
  headers?: Record<string, unknown>;
  content?: Record<string, MediaType>;
}
interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  schema?: any;
  example?: unknown;
  examples?: Record<string, { value: unknown }>;
}
interface Operation {
  operationId?: string;
  summary?: string;
  description?: string;
  security?: unknown[];
  parameters?: (Parameter | Reference)[];
  requestBody?: { content: Record<string, MediaType> };
  responses: Record<string, Response | Reference>;
}
interface Document {
  openapi: string;
  paths: Record<string, Record<string, unknown>>;
  webhooks: Record<string, Record<string, unknown>>;
  components: {
    schemas: Record<string, any>;
    responses: Record<string, Response>;
    parameters: Record<string, any>;
  };
}

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

function loadDocument(): Document {
  return parse(readFileSync(OPENAPI_PATH, 'utf8')) as Document;
}

function operations(doc: Document): { key: string; path: string; method: string; operation: Operation }[] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    HTTP_METHODS.filter((method) => item[method] !== undefined).map((method) => ({
      key: routeKey({ method: method.toUpperCase() as never, path }),
      path,
      method,
      operation: item[method] as Operation,
    })),
  );
}

/** A JSON pointer into the document, as a list of tokens. */
type Pointer = (string | number)[];

/** An operation's parameters (the path's and its own), each resolved, with a pointer to its schema. */
function parametersOf(doc: Document, path: string, method: string): { parameter: Parameter; schemaAt: Pointer }[] {
  const own = (doc.paths[path]![method] as Operation).parameters ?? [];
  const shared = (doc.paths[path]!.parameters ?? []) as (Parameter | Reference)[];
  const located = [
    ...shared.map((p, i) => [p, ['paths', path, 'parameters', i]] as const),
    ...own.map((p, i) => [p, ['paths', path, method, 'parameters', i]] as const),
  ];
  return located.map(([p, at]) => {
    if (!('$ref' in p)) return { parameter: p, schemaAt: [...at, 'schema'] };
    const name = p.$ref.replace('#/components/parameters/', '');
    const parameter = doc.components.parameters[name] as Parameter | undefined;
    if (!parameter) throw new Error(`unresolved parameter ${p.$ref}`);
    return { parameter, schemaAt: ['components', 'parameters', name, 'schema'] };
  });
}

/** Where the JSON schema of an operation's response sits. */
function responseSchemaAt(path: string, method: string, status: string, response: Response | Reference): Pointer {
  return '$ref' in response
    ? ['components', 'responses', response.$ref.replace('#/components/responses/', ''), 'content', 'application/json', 'schema']
    : ['paths', path, method, 'responses', status, 'content', 'application/json', 'schema'];
}

/** A parameter's schema, a `$ref` into components.schemas resolved. */
function parameterSchema(doc: Document, parameter: Parameter): any {
  const schema = parameter.schema;
  if (schema?.$ref === undefined) return schema;
  return doc.components.schemas[String(schema.$ref).replace('#/components/schemas/', '')];
}

function parameterExamples(parameter: Parameter): [string, unknown][] {
  const named = Object.entries(parameter.examples ?? {}).map(([name, example]) => [name, example.value] as [string, unknown]);
  return parameter.example === undefined ? named : [['example', parameter.example], ...named];
}

/** The path with each path parameter replaced by its example. */
function examplePath(doc: Document, path: string, method: string): string {
  let concrete = path;
  for (const { parameter } of parametersOf(doc, path, method)) {
    if (parameter.in === 'path') concrete = concrete.replace(`{${parameter.name}}`, encodeURIComponent(String(parameter.example)));
  }
  return concrete;
}

/** Validates values against the document's own schemas (found by pointer), `$ref`s and all. */
function schemaChecker(doc: Document): (at: Pointer, value: unknown) => string | undefined {
  const id = 'https://brook.invalid/openapi.json';
  // OpenAPI keywords such as `example` are not JSON Schema's; int64 and friends are annotations.
  const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
  ajv.addSchema(structuredClone(doc) as object, id);
  const compiled = new Map<string, ValidateFunction>();
  return (at, value) => {
    const fragment = at.map((token) => encodeURIComponent(String(token).replaceAll('~', '~0').replaceAll('/', '~1'))).join('/');
    const ref = `${id}#/${fragment}`;
    let validate = compiled.get(ref);
    if (!validate) {
      validate = ajv.compile({ $ref: ref });
      compiled.set(ref, validate);
    }
    return validate(value) ? undefined : ajv.errorsText(validate.errors);
  };
}

// The real routes and handler stack, over storage stubs: every topic exists, with partitions 0 to 2.
const EXAMPLE_PARTITIONS = 3;
const EXAMPLE_HIGH_WATERMARK = 2000;
const ADMIN_KEY = 'admin-secret';
const admin: Principal = { keyId: 'key_admin', principal: 'admin', permissions: [...ADMIN_PERMISSIONS] };

function exampleTopic(name: string, partitions = EXAMPLE_PARTITIONS, config: object = {}): Topic {
  return { name, topicId: `id-${name}`, partitions, config: { ...DEFAULT_TOPIC_CONFIG, ...config }, createdAt: 0, version: 1 };
}

function description(topic: Topic): unknown {
  const partitions = Array.from({ length: topic.partitions }, (_, partition) => ({ partition, logStartOffset: 0, highWatermark: 0 }));
  return { name: topic.name, config: topic.config, partitions };
}

function storedRecord(offset: number): StoredRecord {
  const text = (value: string) => new Uint8Array(Buffer.from(value, 'utf8'));
  return { offset, timestamp: 1_700_000_000_000, key: text('k1'), value: new Uint8Array([0xde, 0xad, 0xbe, 0xef]), headers: [{ name: 'h', value: text('v') }] };
}

const stubTopics = {
  get: async (name: string) => exampleTopic(name),
  find: async (name: string) => exampleTopic(name),
  create: async (request: { name: string; partitions?: number; config?: object }) =>
    description(exampleTopic(request.name, request.partitions ?? 1, request.config)),
  alter: async (name: string, request: { partitions?: number }) => description(exampleTopic(name, request.partitions ?? EXAMPLE_PARTITIONS)),
} as unknown as TopicRegistry;

const stubLog = {
  append: async () => ({ baseOffset: 1042, duplicate: false }),
  head: async () => ({ highWatermark: EXAMPLE_HIGH_WATERMARK, logStartOffset: 0 }),
  read: async (_topicId: string, _partition: number, offset: number) => {
    const records = offset < EXAMPLE_HIGH_WATERMARK ? [storedRecord(offset)] : [];
    return { records, nextOffset: offset + records.length, highWatermark: EXAMPLE_HIGH_WATERMARK, logStartOffset: 0 };
  },
  offsetForTimestamp: async () => 1042,
} as unknown as PartitionLog;

// What produce, fetch and offsets read first: the example topic, its partitions at the example high watermark, a producer at epoch 0.
const stubSnapshots = {
  read: async (requests: SnapshotRequest[]) => ({
    topics: new Map(
      requests.map(({ name, partitions }) => {
        const topic = exampleTopic(name);
        const heads = new Map(partitions(topic).map((partition) => [partition, headFromItem({ next: EXAMPLE_HIGH_WATERMARK, start: 0 })]));
        return [name, { topic, heads }];
      }),
    ),
    producerEpoch: 0,
  }),
} as unknown as SnapshotReader;

const stubProducers = {
  checkCurrent: async () => undefined,
  register: async (id?: string) => ({ id: id ?? '281474976710655', epoch: id === undefined ? 0 : 1 }),
} as unknown as ProducerRegistry;

// The group coordinator's answers, in the shapes it gives.
const stubGroups = {
  join: async (_group: string, input: JoinInput) => ({
    memberId: 'm-3f9a6c0d12e4b7a8',
    generation: 4,
    assignment: input.topics.map((topic) => ({ topic, partitions: [0, 1] })),
    heartbeatIntervalMs: Math.floor((input.sessionTimeoutMs ?? SESSION_TIMEOUT.default) / 3),
  }),
  readForHeartbeat: async () => undefined,
  readForCommit: async () => undefined,
  heartbeat: async (_group: string, _memberId: string, generation: number) => ({ generation, assignment: [{ topic: 'orders', partitions: [0] }], rebalancing: false }),
  commit: async () => undefined,
  resetOffsets: async (_group: string, input: ResetInput) =>
    (input.partitions ?? [0, 1, 2]).map((partition) => ({ topic: input.topic, partition, before: partition === 0 ? 1042 : null, after: 0 })),
} as unknown as GroupCoordinator;

// The key store's answers: a new key, and a list of one.
const stubKeys = {
  createKey: async (input: { principal: string; permissions: Permission[]; expiresAt?: number }) => ({
    key: { keyId: 'key_3f9a6c0d12e4b7a8', principal: input.principal, permissions: input.permissions, expiresAt: input.expiresAt ?? null, createdAt: 1_700_000_000_000 },
    secret: `brook_${'A'.repeat(43)}`,
  }),
  listKeys: async () => [{ keyId: 'key_3f9a6c0d12e4b7a8', principal: 'admin', permissions: [...ADMIN_PERMISSIONS], expiresAt: null, createdAt: 1_700_000_000_000 }],
  revokeKey: async () => undefined,
} as unknown as ApiKeyStore;

// The subscription admin's answers, in the shapes it gives: settings with the defaults filled in, positions at the example high watermark.
const subscriptionSettings = (request: CreateSubscriptionRequest): Omit<SubscriptionDescription, 'partitions'> => ({
  name: request.name,
  topic: request.topic,
  target: request.target,
  state: 'active',
  ...settingsWithDefaults(request),
  createdAt: 1_700_000_000_000,
});
const exampleSubscription = subscriptionSettings({ name: 'billing-webhook', topic: 'orders', target: { type: 'http', url: 'https://billing.example.com/brook' } });
const subscriptionPartitions = Array.from({ length: EXAMPLE_PARTITIONS }, (_, partition) => ({
  partition,
  position: EXAMPLE_HIGH_WATERMARK,
  highWatermark: EXAMPLE_HIGH_WATERMARK,
  lag: 0,
  attempts: 0,
  parked: 0,
  dropped: 0,
}));
const stubSubscriptions = {
  create: async (request: CreateSubscriptionRequest) => {
    const settings = subscriptionSettings(request);
    const target = request.target.type === 'http' ? { ...request.target, secret: `whsec_${'ab'.repeat(32)}` } : request.target;
    return { ...settings, target, partitions: subscriptionPartitions };
  },
  list: async () => [exampleSubscription],
  describeSettings: async (name: string) => ({ ...exampleSubscription, name }),
  describe: async (name: string) => ({ ...exampleSubscription, name, partitions: subscriptionPartitions }),
  alter: async (name: string, changes: AlterSubscriptionRequest) => ({
    ...exampleSubscription,
    ...Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined)),
    name,
    partitions: subscriptionPartitions,
  }),
  reset: async (_name: string, request: ResetSubscriptionRequest) => ({
    partitions: (request.partitions ?? [0, 1, 2]).map((partition) => ({ partition, before: EXAMPLE_HIGH_WATERMARK, after: 0 })),
  }),
  delete: async () => undefined,
} as unknown as SubscriptionAdmin;

// A transaction's answer: each record at an offset of its partition.
const stubTransactions = {
  commit: async (input: TransactionInput) => ({
    results: input.records.map((record, i) => ({ topic: record.topic, partition: record.partition ?? 0, offset: 88 + i })),
  }),
} as unknown as TransactionService;

const routeSpecs: Record<string, RouteSpec<unknown, unknown>> = {
  ...keyRoutes(stubKeys),
  ...topicRoutes(stubTopics),
  ...groupRoutes(stubGroups),
  ...subscriptionRoutes(stubSubscriptions),
  ...produceRoutes({ produce: new ProduceService({ log: stubLog, producers: stubProducers, snapshots: stubSnapshots }), producers: stubProducers }),
  ...fetchRoutes({ fetch: new FetchService(stubLog), log: stubLog, snapshots: stubSnapshots }),
  ...transactionRoutes(stubTransactions),
};

const handler = createHttpHandler({
  logger: silentLogger,
  keys: { authenticate: async (secret: string) => (secret === ADMIN_KEY ? admin : undefined) },
  routes: routeSpecs,
  binaryContentTypes: [RECORD_BATCH_CONTENT_TYPE],
});

/** The query schema a route parses, as an object schema. */
function querySchemaOf(key: string): z.ZodObject {
  const query = routeSpecs[key]?.query;
  if (!(query instanceof z.ZodObject)) throw new Error(`${key} has no query schema`);
  return query;
}

/** A response as the operation sees it: a `$ref` resolved into components.responses. */
function resolve(doc: Document, response: Response | Reference): Response {
  if (!('$ref' in response)) return response;
  const name = response.$ref.replace('#/components/responses/', '');
  const target = doc.components.responses[name];
  if (!target) throw new Error(`unresolved response ${response.$ref}`);
  return target;
}

/** Every example body of a media type, named. */
function examplesOf(media: MediaType | undefined): [string, unknown][] {
  if (!media) return [];
  const named = Object.entries(media.examples ?? {}).map(([name, example]) => [name, example.value] as [string, unknown]);
  return media.example === undefined ? named : [['example', media.example], ...named];
}

describe('docs/openapi.yaml', () => {
  const doc = loadDocument();

  it('is a valid OpenAPI 3.1 document', async () => {
    expect(doc.openapi).toMatch(/^3\.1\./);
    // The parser dereferences in place: give it a copy.
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeDefined();
  });

  it('documents exactly the API routes in ROUTES (those under /v1)', () => {
    const documented = operations(doc).map(({ key }) => key).sort();
    // Routes outside /v1 are not the API: the console's HTML and scripts (docs/console.md).
    const implemented = ROUTES.filter((route) => route.path.startsWith('/v1/')).map(routeKey).sort();
    expect(documented).toEqual(implemented);
  });

  it('lists every error code of ERROR_TABLE in the Error schema', () => {
    const codes = doc.components.schemas.Error.properties.error.properties.code.enum;
    expect(codes).toEqual(Object.keys(ERROR_TABLE));
  });

  it('gives TopicConfig the defaults of DEFAULT_TOPIC_CONFIG', () => {
    const properties = doc.components.schemas.TopicConfig.properties as Record<string, { default: unknown }>;
    const defaults = Object.fromEntries(Object.entries(properties).map(([key, schema]) => [key, schema.default]));
    expect(defaults).toEqual(DEFAULT_TOPIC_CONFIG);
  });

  it('declares 401 on every operation but health, and health needs no key', () => {
    for (const { key, operation } of operations(doc)) {
      if (key === 'GET /v1/health') {
        expect(operation.security, key).toEqual([]);
        expect(operation.responses['401'], key).toBeUndefined();
      } else {
        expect(operation.security, key).toBeUndefined(); // the global bearer requirement applies
        expect(operation.responses['401'], key).toBeDefined();
      }
    }
  });

  it('gives every operation an id, a summary and a description, and x-request-id on every response', () => {
    const ids = new Set<string>();
    for (const { key, operation } of operations(doc)) {
      expect(operation.operationId, key).toBeTruthy();
      expect(ids.has(operation.operationId!), `${key}: duplicate operationId`).toBe(false);
      ids.add(operation.operationId!);
      expect(operation.summary, key).toBeTruthy();
      expect(operation.description, key).toBeTruthy();
      for (const [status, response] of Object.entries(operation.responses)) {
        expect(resolve(doc, response).headers?.['x-request-id'], `${key} ${status}`).toBeDefined();
      }
    }
    for (const [name, response] of Object.entries(doc.components.responses)) {
      expect(response.headers?.['x-request-id'], name).toBeDefined();
    }
  });

  it('sends each error code only with its status, as ERROR_TABLE says', () => {
    // Component error responses: each example's code has the status the response is used for.
    const statusOf = new Map<string, string>();
    for (const { key, operation } of operations(doc)) {
      for (const [status, response] of Object.entries(operation.responses)) {
        if (!('$ref' in response)) continue;
        const name = response.$ref.replace('#/components/responses/', '');
        expect(statusOf.get(name) ?? status, `${key}: ${name} used with two statuses`).toBe(status);
        statusOf.set(name, status);
      }
    }
    statusOf.set('MethodNotAllowed', '405'); // answered by the fallback for any documented path (checked in the next test)
    for (const [name, response] of Object.entries(doc.components.responses)) {
      const status = statusOf.get(name);
      expect(status, `${name} is not used`).toBeDefined();
      const examples = examplesOf(response.content?.['application/json']);
      expect(examples.length, name).toBeGreaterThan(0);
      for (const [exampleName, value] of examples) {
        const error = (value as { error: { code: string; retriable: boolean } }).error;
        expect(isErrorCode(error.code), `${name}.${exampleName}`).toBe(true);
        const row = ERROR_TABLE[error.code as keyof typeof ERROR_TABLE];
        expect(String(row.status), `${name}.${exampleName}`).toBe(status);
        expect(error.retriable, `${name}.${exampleName}`).toBe(row.retriable);
      }
    }
  });

  it('answers a documented path with a method it does not list as the MethodNotAllowed response says, Allow header included', async () => {
    const check = schemaChecker(doc);
    const documented405 = doc.components.responses.MethodNotAllowed;
    expect(Object.keys(documented405?.headers ?? {}).sort()).toEqual(['Allow', 'x-request-id']);
    const allowSchema = (doc.components as unknown as { headers: Record<string, { schema: { pattern: string } }> }).headers.Allow!.schema;
    for (const [path, item] of Object.entries(doc.paths)) {
      const methods = HTTP_METHODS.filter((method) => item[method] !== undefined);
      const other = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].find((method) => !methods.includes(method.toLowerCase() as never))!;
      const response = await invoke(fallbackHandler, { method: other, path: examplePath(doc, path, methods[0]!) });
      const allowed = methods.map((method) => method.toUpperCase()).sort();
      expect(response.status, `${other} ${path}`).toBe(405);
      expect(response.headers.allow?.split(', ').sort(), `${other} ${path}`).toEqual(allowed);
      expect(response.headers.allow, `${other} ${path}`).toMatch(new RegExp(allowSchema.pattern));
      expect(response.body.error.allowed.sort(), `${other} ${path}`).toEqual(allowed);
      expect(check(['components', 'responses', 'MethodNotAllowed', 'content', 'application/json', 'schema'], response.body)).toBeUndefined();
    }
  });

  it('has request examples that the server accepts', () => {
    const bodies: Record<string, z.ZodType | undefined> = {
      'POST /v1/topics': createTopicSchema,
      'PATCH /v1/topics/{topic}': alterTopicSchema,
      'POST /v1/producers': routeSpecs['POST /v1/producers']!.body,
      'POST /v1/fetch': routeSpecs['POST /v1/fetch']!.body,
      'POST /v1/groups/{group}/members': joinBodySchema,
      'POST /v1/groups/{group}/members/{memberId}/heartbeat': heartbeatBodySchema,
      'POST /v1/groups/{group}/offsets': commitBodySchema,
      'POST /v1/groups/{group}/offsets/reset': resetBodySchema,
      'POST /v1/keys': createKeyBodySchema,
      'POST /v1/subscriptions': createSubscriptionSchema,
      'PATCH /v1/subscriptions/{name}': alterSubscriptionSchema,
      'POST /v1/subscriptions/{name}/reset': resetSubscriptionSchema,
      'POST /v1/transactions': transactionBodySchema,
      // Its body schema is private to logRoutes.ts: the route itself checks these examples (next test).
      'POST /v1/topics/{topic}/records': undefined,
    };
    const withBody = operations(doc).filter(({ operation }) => operation.requestBody);
    expect(withBody.map(({ key }) => key).sort()).toEqual(Object.keys(bodies).sort());
    for (const { key, operation } of withBody) {
      const examples = examplesOf(operation.requestBody!.content['application/json']);
      expect(examples.length, key).toBeGreaterThan(0);
      const schema = bodies[key];
      if (!schema) continue;
      for (const [name, value] of examples) {
        const result = schema.safeParse(value);
        expect(result.success, `${key} example ${name}: ${result.error?.message ?? ''}`).toBe(true);
      }
    }
  });

  it('answers each request example, through the real routes, with a documented success in the documented shape', async () => {
    const check = schemaChecker(doc);
    for (const { key, path, method, operation } of operations(doc).filter(({ operation }) => operation.requestBody)) {
      for (const [name, value] of examplesOf(operation.requestBody!.content['application/json'])) {
        const where = `${key} example ${name}`;
        const response = await invoke(handler, { method: method.toUpperCase(), path: examplePath(doc, path, method), body: value, apiKey: ADMIN_KEY });
        expect(response.status, `${where}: ${JSON.stringify(response.body)}`).toBeLessThan(300);
        const documented = operation.responses[String(response.status)];
        expect(documented, `${where}: status ${response.status} is not documented`).toBeDefined();
        if (response.body !== undefined) {
          const at = responseSchemaAt(path, method, String(response.status), documented!);
          expect(check(at, response.body), `${where}: ${JSON.stringify(response.body)}`).toBeUndefined();
        }
      }
    }
  });

  it('answers the fetch and offsets routes, with each query example, in the documented shape', async () => {
    const check = schemaChecker(doc);
    const gets = operations(doc).filter(({ key }) => key.startsWith('GET ') && key.includes('/partitions/'));
    expect(gets.map(({ key }) => key).sort()).toEqual([
      'GET /v1/topics/{topic}/partitions/{partition}/offsets',
      'GET /v1/topics/{topic}/partitions/{partition}/records',
    ]);
    for (const { key, path, method, operation } of gets) {
      const queries: [string, Record<string, string>][] = [['no query', {}]];
      for (const { parameter } of parametersOf(doc, path, method).filter(({ parameter }) => parameter.in === 'query')) {
        for (const [name, value] of parameterExamples(parameter)) queries.push([`${parameter.name} ${name}`, { [parameter.name]: String(value) }]);
      }
      for (const [name, query] of queries) {
        const response: ApiResponse = await invoke(handler, { method: 'GET', path: examplePath(doc, path, method), query, apiKey: ADMIN_KEY });
        expect(response.status, `${key} ${name}: ${JSON.stringify(response.body)}`).toBe(200);
        const at = responseSchemaAt(path, method, '200', operation.responses['200']!);
        expect(check(at, response.body), `${key} ${name}: ${JSON.stringify(response.body)}`).toBeUndefined();
      }
    }
  });

  it('documents the query parameters as the routes parse them', () => {
    const withQuery = operations(doc).filter(({ path, method }) => parametersOf(doc, path, method).some(({ parameter }) => parameter.in === 'query'));
    expect(withQuery.map(({ key }) => key).sort()).toEqual([
      'GET /v1/topics/{topic}/partitions/{partition}/offsets',
      'GET /v1/topics/{topic}/partitions/{partition}/records',
      'POST /v1/topics/{topic}/records',
    ]);
    for (const { key, path, method } of withQuery) {
      const query = querySchemaOf(key);
      const parameters = parametersOf(doc, path, method).filter(({ parameter }) => parameter.in === 'query').map(({ parameter }) => parameter);
      expect(parameters.map((p) => p.name).sort(), key).toEqual(Object.keys(query.shape).sort());
      const accepts = (name: string, value: unknown) => query.safeParse({ [name]: String(value) }).success;
      for (const parameter of parameters) {
        const where = `${key} ?${parameter.name}`;
        expect(parameter.schema, where).toBeDefined();
        for (const [name, value] of parameterExamples(parameter)) expect(accepts(parameter.name, value), `${where} example ${name}`).toBe(true);
        const schema = parameterSchema(doc, parameter);
        for (const branch of schema.anyOf ?? [schema]) {
          if (branch.enum) {
            for (const value of branch.enum) expect(accepts(parameter.name, value), `${where}=${value}`).toBe(true);
            expect(accepts(parameter.name, 'nonsense'), `${where}=nonsense`).toBe(false);
          } else {
            expect(branch.type, where).toBe('integer');
            for (const value of [branch.minimum, branch.maximum]) expect(accepts(parameter.name, value), `${where}=${value}`).toBe(true);
            for (const value of [branch.minimum - 1, branch.maximum + 1, '1.5']) expect(accepts(parameter.name, value), `${where}=${value}`).toBe(false);
          }
        }
      }
    }
    const fetchParameters = doc.components.parameters;
    expect(fetchParameters.MaxRecords.schema.default).toBe(FETCH_LIMITS.defaultMaxRecords);
    expect(fetchParameters.MaxRecords.schema.maximum).toBe(FETCH_LIMITS.maxMaxRecords);
    expect(fetchParameters.MaxBytes.schema.default).toBe(FETCH_LIMITS.defaultMaxBytes);
    expect(fetchParameters.MaxBytes.schema.maximum).toBe(FETCH_LIMITS.maxMaxBytes);
    expect(fetchParameters.WaitMs.schema.default).toBe(0);
    expect(fetchParameters.WaitMs.schema.maximum).toBe(MAX_WAIT_MS);
    expect(fetchParameters.At.schema.default).toBe('latest');
  });

  it('documents every field of a fetched record, the per-record encoding marker included', () => {
    const check = schemaChecker(doc);
    const documented = Object.keys(doc.components.schemas.StoredRecord.properties).sort();
    // storedRecord's value (de ad be ef) is not valid UTF-8: a utf8 fetch marks it.
    const marked = toJsonRecord(storedRecord(0), 'utf8');
    expect(marked.encoding).toBe('base64');
    expect(Object.keys(marked).sort()).toEqual(documented);
    expect(check(['components', 'schemas', 'StoredRecord'], marked)).toBeUndefined();
    expect(check(['components', 'schemas', 'StoredRecord'], { ...marked, encoding: 'utf8' })).toBeDefined();
  });

  it('documents the produce and fetch bodies with the limits and defaults of the code', async () => {
    const schemas = doc.components.schemas;
    expect(schemas.Encoding.enum).toEqual(['utf8', 'base64']);
    expect(schemas.ProducerId.pattern).toBe(PRODUCER_ID_PATTERN.source);
    expect(schemas.ProducerEpoch.maximum).toBe(MAX_PRODUCER_EPOCH);

    // POST /v1/fetch: defaults, and bounds the body schema enforces.
    const multi = schemas.MultiFetchRequest.properties;
    expect(multi.maxBytes.default).toBe(FETCH_LIMITS.defaultMultiMaxBytes);
    expect(multi.maxRecordsPerPartition.default).toBe(FETCH_LIMITS.defaultMaxRecords);
    expect(multi.waitMs.default).toBe(0);
    const fetchBody = routeSpecs['POST /v1/fetch']!.body!;
    const base = { topics: [{ topic: 'orders', partitions: [{ partition: 0 }] }] };
    for (const field of ['maxBytes', 'maxRecordsPerPartition', 'waitMs']) {
      const { minimum, maximum } = multi[field];
      for (const value of [minimum, maximum]) expect(fetchBody.safeParse({ ...base, [field]: value }).success, `${field}=${value}`).toBe(true);
      for (const value of [minimum - 1, maximum + 1]) expect(fetchBody.safeParse({ ...base, [field]: value }).success, `${field}=${value}`).toBe(false);
    }

    // Binary produce: the documented content type, with ?partition=N required.
    const produce = doc.paths['/v1/topics/{topic}/records']!.post as Operation;
    expect(Object.keys(produce.requestBody!.content).sort()).toEqual(['application/json', RECORD_BATCH_CONTENT_TYPE].sort());
    const batch = encodeBatch([
      { key: null, value: new Uint8Array([1, 2, 3]), headers: [], timestamp: 1_700_000_000_000 },
      { key: null, value: null, headers: [], timestamp: 1_700_000_000_001 },
    ]);
    const binary = { method: 'POST', path: '/v1/topics/orders/records', binaryBody: batch, headers: { 'content-type': RECORD_BATCH_CONTENT_TYPE }, apiKey: ADMIN_KEY };
    const appended = await invoke(handler, { ...binary, query: { partition: '1' } });
    expect(appended.status, JSON.stringify(appended.body)).toBe(200);
    expect(schemaChecker(doc)(['components', 'schemas', 'ProduceResponse'], appended.body)).toBeUndefined();
    expect(appended.body.results).toEqual([{ partition: 1, offset: 1042 }, { partition: 1, offset: 1043 }]);
    const withoutPartition = await invoke(handler, binary);
    expect([withoutPartition.status, withoutPartition.body.error.code]).toEqual([400, 'INVALID_REQUEST']);

    // The {partition} path parameter: at most its documented maximum, digits without leading zeros.
    const partition = doc.components.parameters.Partition.schema;
    const offsetsAt = (p: string) => invoke(handler, { method: 'GET', path: `/v1/topics/orders/partitions/${p}/offsets`, apiKey: ADMIN_KEY });
    expect((await offsetsAt(String(partition.maximum))).body.error.code).toBe('PARTITION_NOT_FOUND');
    for (const bad of [String(partition.maximum + 1), '01', '-1']) expect((await offsetsAt(bad)).body.error.code, bad).toBe('INVALID_REQUEST');
    expect((await offsetsAt(String(partition.minimum))).status).toBe(200);
  });

  it('has examples that match their own schemas', () => {
    const check = schemaChecker(doc);
    let checked = 0;
    const expectValid = (at: Pointer, value: unknown, where: string) => {
      expect(check(at, value), where).toBeUndefined();
      checked++;
    };
    for (const { key, path, method, operation } of operations(doc)) {
      for (const { parameter, schemaAt } of parametersOf(doc, path, method)) {
        for (const [name, value] of parameterExamples(parameter)) expectValid(schemaAt, value, `${key} ${parameter.name} example ${name}`);
      }
      for (const [name, value] of examplesOf(operation.requestBody?.content['application/json'])) {
        expectValid(['paths', path, method, 'requestBody', 'content', 'application/json', 'schema'], value, `${key} request example ${name}`);
      }
      for (const [status, response] of Object.entries(operation.responses)) {
        for (const [name, value] of examplesOf(resolve(doc, response).content?.['application/json'])) {
          expectValid(responseSchemaAt(path, method, status, response), value, `${key} ${status} example ${name}`);
        }
      }
    }
    for (const [name, parameter] of Object.entries(doc.components.parameters)) {
      for (const [exampleName, value] of parameterExamples(parameter)) expectValid(['components', 'parameters', name, 'schema'], value, `${name} example ${exampleName}`);
    }
    expect(checked).toBeGreaterThan(50);
  });

  it('names each error code with its status, in operation and error response descriptions', () => {
    for (const { key, operation } of operations(doc)) {
      // "`404 TOPIC_NOT_FOUND`" in an operation's description: that status, and a response declared for it.
      for (const [, status, code] of (operation.description ?? '').matchAll(/`(\d{3})\s+([A-Z_]+)`/g)) {
        expect(isErrorCode(code), `${key}: ${code}`).toBe(true);
        expect(String(ERROR_TABLE[code as keyof typeof ERROR_TABLE].status), `${key}: ${code}`).toBe(status);
        expect(operation.responses[status!], `${key}: ${status} ${code} has no response`).toBeDefined();
      }
      // "`TOPIC_NOT_FOUND`" in an error response's description: a code of that response's status.
      for (const [status, response] of Object.entries(operation.responses)) {
        if (Number(status) < 400) continue;
        const text = ('$ref' in response ? (response as Reference & { description?: string }).description : undefined) ?? resolve(doc, response).description;
        for (const [, code] of text.matchAll(/`([A-Z][A-Z_]+)`/g)) {
          if (!isErrorCode(code)) continue;
          expect(String(ERROR_TABLE[code].status), `${key} ${status}: ${code}`).toBe(status);
        }
      }
    }
  });

  it('states the group name rule and the group limits as the code does', () => {
    const schemas = doc.components.schemas;
    expect(schemas.GroupName.pattern).toBe(GROUP_NAME_PATTERN.source);
    expect(schemas.GroupName.not).toEqual({ enum: ['.', '..'] });
    expect(doc.components.parameters.Group.schema).toEqual({ $ref: '#/components/schemas/GroupName' });
    const join = schemas.JoinGroupRequest.properties;
    expect([join.sessionTimeoutMs.minimum, join.sessionTimeoutMs.maximum, join.sessionTimeoutMs.default]).toEqual([
      SESSION_TIMEOUT.min,
      SESSION_TIMEOUT.max,
      SESSION_TIMEOUT.default,
    ]);
    const base = { topics: ['orders'] };
    for (const value of [join.sessionTimeoutMs.minimum, join.sessionTimeoutMs.maximum]) expect(joinBodySchema.safeParse({ ...base, sessionTimeoutMs: value }).success).toBe(true);
    for (const value of [join.sessionTimeoutMs.minimum - 1, join.sessionTimeoutMs.maximum + 1]) expect(joinBodySchema.safeParse({ ...base, sessionTimeoutMs: value }).success).toBe(false);
    expect(joinBodySchema.safeParse({ topics: Array.from({ length: join.topics.maxItems + 1 }, (_, i) => `t${i}`) }).success).toBe(false);
    const entry = schemas.CommitOffsetsRequest.properties.offsets.items.properties;
    const commitOf = (fields: object) => commitBodySchema.safeParse({ offsets: [{ topic: 'orders', partition: 0, offset: 0, ...fields }] }).success;
    expect(commitOf({ partition: entry.partition.maximum })).toBe(true);
    expect(commitOf({ partition: entry.partition.maximum + 1 })).toBe(false);
    expect(commitOf({ metadata: 'x'.repeat(entry.metadata.maxLength) })).toBe(true);
    expect(commitOf({ metadata: 'x'.repeat(entry.metadata.maxLength + 1) })).toBe(false);
    expect(commitOf({ offset: entry.offset.maximum })).toBe(true);
    expect(commitOf({ offset: entry.offset.maximum + 1 })).toBe(false);
  });

  it('states the key rules as the key routes do', () => {
    const schemas = doc.components.schemas;
    expect(schemas.Permission.properties.resource.pattern).toBe(RESOURCE_PATTERN.source);
    expect(schemas.Operation.enum).toEqual([...OPERATIONS]);
    expect(schemas.KeyId.pattern).toBe(KEY_ID_PATTERN.source);
    const create = schemas.CreateKeyRequest.properties;
    expect(create.expiresAt.maximum).toBe(MAX_EXPIRES_AT);
    expect(create.permissions.maxItems).toBe(KEY_LIMITS.maxPermissions);
    expect(schemas.KeyPrincipal.maxLength).toBe(KEY_LIMITS.maxPrincipalLength);
    const valid = { principal: 'p', permissions: [] };
    expect(createKeyBodySchema.safeParse({ ...valid, principal: 'x'.repeat(KEY_LIMITS.maxPrincipalLength) }).success).toBe(true);
    expect(createKeyBodySchema.safeParse({ ...valid, principal: 'x'.repeat(KEY_LIMITS.maxPrincipalLength + 1) }).success).toBe(false);
    expect(createKeyBodySchema.safeParse({ ...valid, expiresAt: MAX_EXPIRES_AT + 1 }).success).toBe(false);
  });

  it('states the topic name rule as protocol/names.ts does', () => {
    const topicName = doc.components.schemas.TopicName;
    expect(topicName.pattern).toBe(TOPIC_NAME_PATTERN.source);
    expect(topicName.not).toEqual({ enum: ['.', '..'] });
    expect(doc.components.parameters.Topic.schema).toEqual({ $ref: '#/components/schemas/TopicName' });
  });

  it('states the subscription rules, limits and defaults as the code does', () => {
    const schemas = doc.components.schemas;
    expect(schemas.SubscriptionName.pattern).toBe(GROUP_NAME_PATTERN.source);
    expect(schemas.SubscriptionName.not).toEqual({ enum: ['.', '..'] });
    expect(doc.components.parameters.SubscriptionName.schema).toEqual({ $ref: '#/components/schemas/SubscriptionName' });
    expect(schemas.LambdaTarget.properties.functionArn.pattern).toBe(FUNCTION_ARN_PATTERN.source);
    const create = schemas.CreateSubscriptionRequest.properties;
    const defaults = Object.fromEntries(Object.keys(SUBSCRIPTION_DEFAULTS).map((field) => [field, (create[field].default ?? schemas[create[field].$ref?.split('/').pop()]?.default) as unknown]));
    expect(defaults).toEqual(SUBSCRIPTION_DEFAULTS);
    expect(create.startAt.default).toBe('latest');
    expect([create.batchSize.maximum, create.maxBatchingWindowMs.maximum, create.maxRetries.maximum, create.maxRecordAgeMs.anyOf[1].minimum]).toEqual([
      SUBSCRIPTION_LIMITS.maxBatchSize,
      SUBSCRIPTION_LIMITS.maxBatchingWindowMs,
      SUBSCRIPTION_LIMITS.maxRetries,
      SUBSCRIPTION_LIMITS.minRecordAgeMs,
    ]);
    // Every bound of every setting, in a create and in an alter (and as a description shows it).
    const check = schemaChecker(doc);
    const base = { name: 's', topic: 'orders', target: { type: 'http', url: 'https://example.com/hook' } };
    const cases: [string, number, boolean][] = [];
    for (const field of ['batchSize', 'maxBatchingWindowMs', 'maxRetries'] as const) {
      const { minimum, maximum } = create[field];
      cases.push([field, minimum, true], [field, maximum, true], [field, minimum - 1, false], [field, maximum + 1, false]);
    }
    const minAge = SUBSCRIPTION_LIMITS.minRecordAgeMs;
    cases.push(['maxRecordAgeMs', -1, true], ['maxRecordAgeMs', minAge, true], ['maxRecordAgeMs', minAge - 1, false], ['maxRecordAgeMs', 0, false], ['maxRecordAgeMs', -2, false]);
    for (const [field, value, valid] of cases) {
      const where = `${field}=${value}`;
      expect(createSubscriptionSchema.safeParse({ ...base, [field]: value }).success, `create ${where}`).toBe(valid);
      expect(alterSubscriptionSchema.safeParse({ [field]: value }).success, `alter ${where}`).toBe(valid);
      expect(check(['components', 'schemas', 'CreateSubscriptionRequest'], { ...base, [field]: value }) === undefined, `documented create ${where}`).toBe(valid);
      expect(check(['components', 'schemas', 'AlterSubscriptionRequest'], { [field]: value }) === undefined, `documented alter ${where}`).toBe(valid);
      const described = { ...exampleSubscription, [field]: value };
      expect(check(['components', 'schemas', 'SubscriptionSummary'], described) === undefined, `documented description ${where}`).toBe(valid);
    }
    // A secret is answered by a create only, and a request may not send one.
    expect(createSubscriptionSchema.safeParse({ ...base, target: { ...base.target, secret: 'whsec_x' } }).success).toBe(false);
    expect(check(['components', 'schemas', 'CreatedSubscription'], { ...exampleSubscription, partitions: [] })).toBeDefined();
    const reset = schemas.ResetSubscriptionRequest.properties.partitions;
    expect(resetSubscriptionSchema.safeParse({ to: 'earliest', partitions: [reset.items.maximum] }).success).toBe(true);
    expect(resetSubscriptionSchema.safeParse({ to: 'earliest', partitions: [reset.items.maximum + 1] }).success).toBe(false);
    expect(resetSubscriptionSchema.safeParse({ to: 'earliest', partitions: [] }).success).toBe(false);
  });

  it('documents what a webhook receives: the batch, the headers and the answers', () => {
    const check = schemaChecker(doc);
    const delivery = doc.webhooks.subscriptionDelivery!.post as Operation;
    const headers = (delivery.parameters ?? []) as Parameter[];
    expect(headers.map((h) => [h.name, h.in])).toEqual([
      ['brook-subscription', 'header'],
      ['brook-delivery-id', 'header'],
      ['brook-signature', 'header'],
    ]);
    // The documented signature format is what signDelivery makes, and verifyDelivery takes it.
    const body = JSON.stringify(examplesOf(delivery.requestBody!.content['application/json'])[0]![1]);
    const header = signDelivery('whsec_example', body, 1_700_000_000);
    expect(header).toMatch(new RegExp(headers[2]!.schema.pattern));
    expect(verifyDelivery('whsec_example', body, header, 1_700_000_000)).toBe(true);
    for (const [name, value] of examplesOf(delivery.requestBody!.content['application/json'])) {
      expect(check(['webhooks', 'subscriptionDelivery', 'post', 'requestBody', 'content', 'application/json', 'schema'], value), name).toBeUndefined();
    }
    for (const [name, value] of examplesOf(resolve(doc, delivery.responses['200']!).content?.['application/json'])) {
      expect(check(['components', 'schemas', 'DeliveryAnswer'], value), name).toBeUndefined();
    }
    // Every field of the wire type, and a record as a fetch gives it (the encoding marker included).
    const batch: Required<DeliveryBatch> = { subscription: 'billing-webhook', topic: 'orders', partition: 0, attempt: 1, records: [toJsonRecord(storedRecord(7), 'utf8')] };
    expect(Object.keys(doc.components.schemas.DeliveryBatch.properties).sort()).toEqual(Object.keys(batch).sort());
    expect(check(['components', 'schemas', 'DeliveryBatch'], batch)).toBeUndefined();
    expect(check(['components', 'schemas', 'DeliveryBatch'], { ...batch, attempt: 0 })).toBeDefined();
  });
});
