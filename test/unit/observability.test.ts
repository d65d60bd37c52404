import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createHttpHandler, defineRoute } from '../../functions/http/httpHandler.js';
import { defaultLogger, type Logger } from '../../functions/http/logger.js';
import { countFetched, countMetric, countProduced, metricsEnabled, powertoolsMetrics } from '../../functions/http/metrics.js';
import { noContent } from '../../functions/http/response.js';
import { invoke } from '../helpers/apiEvent.js';
import { jsonLinesWritten } from '../helpers/logLines.js';


const emfLines = (lines: Record<string, any>[]) => lines.filter((line) => line._aws?.CloudWatchMetrics);

describe('Function: metricsEnabled', () => {
  it('is on in Lambda only, unless POWERTOOLS_METRICS_DISABLED says otherwise', () => {
    expect(metricsEnabled({})).toBe(false);
    expect(metricsEnabled({ AWS_LAMBDA_FUNCTION_NAME: 'brook-produce' })).toBe(true);
    expect(metricsEnabled({ AWS_LAMBDA_FUNCTION_NAME: 'brook-produce', POWERTOOLS_METRICS_DISABLED: 'true' })).toBe(false);
    expect(metricsEnabled({ POWERTOOLS_METRICS_DISABLED: 'false' })).toBe(true);
  });
});

describe('Function: powertoolsMetrics', () => {
  it('writes one EMF line in the Brook namespace with the service as the only dimension', () => {
    // Prepare
    const lines: string[] = [];
    const metrics = powertoolsMetrics({ serviceName: 'brook-test', write: (line) => lines.push(line) });

    // Act
    metrics.add('producedRecords', 3);
    metrics.add('producedBytes', 120);
    metrics.flush();
    metrics.flush();

    // Assess
    expect(lines).toHaveLength(1);
    const emf = JSON.parse(lines[0]!) as Record<string, any>;
    expect(emf._aws.CloudWatchMetrics[0]).toMatchObject({
      Namespace: 'Brook',
      Dimensions: [['service']],
      Metrics: expect.arrayContaining([{ Name: 'ProducedRecords', Unit: 'Count' }, { Name: 'ProducedBytes', Unit: 'Bytes' }]),
    });
    expect(emf).toMatchObject({ service: 'brook-test', ProducedRecords: 3, ProducedBytes: 120 });
  });
});

describe('Middleware: flushMetrics (in createHttpHandler)', () => {
  beforeAll(() => {
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
    vi.stubEnv('POWERTOOLS_SERVICE_NAME', 'brook-unit');
  });
  afterEach(() => vi.unstubAllEnvs());

  const handler = createHttpHandler({
    logger: { debug() {}, info() {}, warn() {}, error() {} },
    routes: {
      'POST /v1/groups/{group}/offsets': defineRoute({
        public: true,
        handle() {
          countMetric('commits', 1);
          return noContent();
        },
      }),
      'GET /v1/topics/{topic}/partitions/{partition}/records': defineRoute({
        public: true,
        handle() {
          countFetched([{ records: [{ key: 'k', value: 'hello' }, { key: null, value: 'x' }] }, { error: {} }]);
          throw new Error('after counting');
        },
      }),
      'GET /v1/health': defineRoute({ public: true, handle: () => noContent() }),
    },
  });

  it('flushes once per invocation, and prints nothing when nothing was counted', async () => {
    // Act
    const lines = await jsonLinesWritten(async () => {
      await invoke(handler, { method: 'POST', path: '/v1/groups/billing/offsets' });
      await invoke(handler, { method: 'GET', path: '/v1/health' });
    });

    // Assess
    const emf = emfLines(lines);
    expect(emf).toHaveLength(1);
    expect(emf[0]).toMatchObject({ service: 'brook-unit', Commits: 1 });
  });

  it('flushes what was counted before an error too', async () => {
    // Act
    let status = 0;
    const lines = await jsonLinesWritten(async () => {
      status = (await invoke(handler, { method: 'GET', path: '/v1/topics/orders/partitions/0/records' })).status;
    });

    // Assess
    expect(status).toBe(500);
    expect(emfLines(lines)).toEqual([expect.objectContaining({ FetchedRecords: 2, FetchedBytes: 7 })]);
  });

  it('counts appended records only, and the request bytes', async () => {
    const lines = await jsonLinesWritten(async () => {
      countProduced([{ partition: 0, offset: 4 }, { partition: 1, error: { code: 'X' } }, { partition: 2, offset: 9 }], 512);
      await invoke(handler, { method: 'GET', path: '/v1/health' });
    });
    expect(emfLines(lines)).toEqual([expect.objectContaining({ ProducedRecords: 2, ProducedBytes: 512 })]);
  });
});

describe('Logger keys per request', () => {
  it('starts every request with its id, topic, partition and group from the path', async () => {
    // Prepare
    const started: Record<string, unknown>[] = [];
    const logger: Logger = { debug() {}, info() {}, warn() {}, error() {}, startRequest: (keys) => void started.push(keys) };
    const handler = createHttpHandler({
      logger,
      routes: {
        'GET /v1/topics/{topic}/partitions/{partition}/records': defineRoute({ public: true, handle: () => noContent() }),
        'POST /v1/groups/{group}/offsets': defineRoute({ public: true, handle: () => noContent() }),
      },
    });

    // Act
    await invoke(handler, { method: 'GET', path: '/v1/topics/orders/partitions/3/records', headers: { 'x-request-id': 'req-42' } });
    await invoke(handler, { method: 'POST', path: '/v1/groups/billing/offsets' });

    // Assess
    expect(started[0]).toEqual({ requestId: 'req-42', topic: 'orders', partition: '3', groupId: undefined });
    expect(started[1]).toMatchObject({ topic: undefined, groupId: 'billing' });
    expect(started[1]!.requestId).toEqual(expect.any(String));
  });

  it('puts them on every JSON line of the Powertools logger, and drops the previous request\'s', async () => {
    // Prepare
    const handler = createHttpHandler({
      logger: defaultLogger(),
      routes: {
        'GET /v1/topics/{topic}/partitions/{partition}/records': defineRoute({
          public: true,
          handle() {
            throw new Error('boom');
          },
        }),
        'POST /v1/groups/{group}/offsets': defineRoute({
          public: true,
          handle() {
            throw new Error('boom');
          },
        }),
      },
    });

    // Act
    const lines = await jsonLinesWritten(async () => {
      await invoke(handler, { method: 'GET', path: '/v1/topics/orders/partitions/3/records', headers: { 'x-request-id': 'req-7' } });
      await invoke(handler, { method: 'POST', path: '/v1/groups/billing/offsets', headers: { 'x-request-id': 'req-8' } });
    });

    // Assess
    const errors = lines.filter((line) => line.message === 'unhandled error');
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatchObject({ level: 'ERROR', requestId: 'req-7', topic: 'orders', partition: '3', function_request_id: expect.any(String) });
    expect(errors[1]).toMatchObject({ requestId: 'req-8', groupId: 'billing' });
    expect(errors[1]).not.toHaveProperty('topic');
  });
});
