/**
 * The SDK through storage faults: idempotent producers send through the real
 * handlers while DynamoDB and S3 throttle, reset, lose answers and slow down
 * and each request's Lambda is given little time (test/helpers/faultyStack.ts).
 * The SDK's transport goes to the handlers in process (its `fetch` option),
 * so every answer a client can get reaches its retry policy: 429 with
 * Retry-After, 503 UNAVAILABLE and TIMEOUT. Every send resolves, and every
 * message is in the log exactly once, in the order each producer sent it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Brook, type FetchLike } from '../../sdk/index.js';
import { TEST_ADMIN_KEY } from '../helpers/brookHandlers.js';
import { ALL_TOGETHER, countBy, readWholeLog, startFaultyStack, type FaultyStack } from '../helpers/faultyStack.js';
import { seededRandom } from '../helpers/random.js';

const PARTITIONS = 3;
const PRODUCERS = 3;
const SENDS = 5;

let stack: FaultyStack;
/** Statuses the handlers answered, as the SDK saw them. */
const statuses: number[] = [];

/**
 * The SDK's fetch, served by the handlers in this process as API Gateway
 * would: each request's Lambda gets 1.2 to 3.2 s, so some are abandoned.
 */
function handlersAsFetch(random: () => number): FetchLike {
  return async (input, init) => {
    const url = new URL(input);
    const headers = Object.fromEntries(Object.entries((init.headers ?? {}) as Record<string, string>).map(([k, v]) => [k.toLowerCase(), v]));
    const { authorization, ...rest } = headers;
    const body = init.body;
    const response = await stack.brook.call({
      method: init.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: rest,
      ...(authorization ? { apiKey: authorization.replace(/^Bearer /, '') } : {}),
      ...(typeof body === 'string' ? { rawBody: body } : body instanceof Uint8Array ? { binaryBody: body } : {}),
      lambdaTimeoutMs: 1_200 + Math.floor(random() * 2_000),
    });
    statuses.push(response.status);
    return new Response(response.body === undefined ? null : JSON.stringify(response.body), { status: response.status, headers: response.headers });
  };
}

beforeAll(async () => {
  stack = await startFaultyStack('brook-sf', { dynamodb: 23, s3: 29 });
});

afterAll(async () => {
  await stack?.stop();
});

describe('the SDK through storage faults', () => {
  it('idempotent producers: every send resolves, every message once, in order per producer and partition', { timeout: 180_000 }, async () => {
    const topic = 'sdk-faults';
    expect((await stack.brook.call({ method: 'POST', path: '/v1/topics', body: { name: topic, partitions: PARTITIONS } })).status).toBe(201);
    const brook = new Brook({ url: 'http://handlers.test', apiKey: TEST_ADMIN_KEY, fetch: handlersAsFetch(seededRandom(31)), retry: { maxRetries: 12, initialMs: 20, maxMs: 1_000 } });
    stack.setFaults(ALL_TOGETHER);
    try {
      await Promise.all(
        Array.from({ length: PRODUCERS }, async (_, p) => {
          const producer = brook.producer();
          for (let send = 0; send < SENDS; send++) {
            await producer.send({ topic, messages: [0, 1, 2].map((i) => ({ key: `k-${i}`, value: `p${p}/${send}/${i}` })) });
          }
          await producer.disconnect();
        }),
      );
    } finally {
      stack.setFaults({ dynamodb: [], s3: [] });
    }
    const log = await readWholeLog(stack.brook, topic, PARTITIONS);
    console.info(`SDK through faults: answers ${JSON.stringify(countBy(statuses))}; ${log.length} records`);
    const values = log.map((r) => r.value);
    expect(values.length).toBe(PRODUCERS * SENDS * 3);
    expect(new Set(values).size).toBe(values.length);
    for (let partition = 0; partition < PARTITIONS; partition++) {
      for (let p = 0; p < PRODUCERS; p++) {
        const sends = log.filter((r) => r.partition === partition && r.value.startsWith(`p${p}/`)).map((r) => Number(r.value.split('/')[1]));
        expect(sends).toEqual([...sends].sort((a, b) => a - b));
      }
    }
    expect(statuses.filter((status) => status >= 500 && status !== 503)).toEqual([]);
    expect(statuses.some((status) => status === 429 || status === 503)).toBe(true);
  });
});
