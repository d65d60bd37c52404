import { readFileSync } from 'node:fs';
import SwaggerParser from '@apidevtools/swagger-parser';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ROUTES, routeKey } from '../../functions/http/routes.js';
import { alterTopicSchema, createTopicSchema, DEFAULT_TOPIC_CONFIG } from '../../functions/topics/topicConfig.js';
import { ERROR_TABLE, isErrorCode } from '../../protocol/errors.js';
import { TOPIC_NAME_PATTERN } from '../../protocol/names.js';

/** docs/openapi.yaml: the project's full reference, kept in step with API.md and the code. */
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
interface Operation {
  operationId?: string;
  summary?: string;
  description?: string;
  security?: unknown[];
  requestBody?: { content: Record<string, MediaType> };
  responses: Record<string, Response | Reference>;
}
interface Document {
  openapi: string;
  paths: Record<string, Record<string, unknown>>;
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

function operations(doc: Document): { key: string; path: string; operation: Operation }[] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    HTTP_METHODS.filter((method) => item[method] !== undefined).map((method) => ({
      key: routeKey({ method: method.toUpperCase() as never, path }),
      path,
      operation: item[method] as Operation,
    })),
  );
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

  it('documents exactly the routes in ROUTES', () => {
    const documented = operations(doc).map(({ key }) => key).sort();
    const implemented = ROUTES.map(routeKey).sort();
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
    statusOf.set('MethodNotAllowed', '405'); // answered by the fallback, for any documented path
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

  it('has request examples that the server accepts', () => {
    const bodies = {
      'POST /v1/topics': createTopicSchema,
      'PATCH /v1/topics/{topic}': alterTopicSchema,
    } as const;
    const withBody = operations(doc).filter(({ operation }) => operation.requestBody);
    expect(withBody.map(({ key }) => key).sort()).toEqual(Object.keys(bodies).sort());
    for (const { key, operation } of withBody) {
      const examples = examplesOf(operation.requestBody!.content['application/json']);
      expect(examples.length, key).toBeGreaterThan(0);
      for (const [name, value] of examples) {
        const result = bodies[key as keyof typeof bodies].safeParse(value);
        expect(result.success, `${key} example ${name}: ${result.error?.message ?? ''}`).toBe(true);
      }
    }
  });

  it('states the topic name rule as protocol/names.ts does', () => {
    const topicName = doc.components.schemas.TopicName;
    expect(topicName.pattern).toBe(TOPIC_NAME_PATTERN.source);
    expect(topicName.not).toEqual({ enum: ['.', '..'] });
    expect(doc.components.parameters.Topic.schema).toEqual({ $ref: '#/components/schemas/TopicName' });
  });
});
