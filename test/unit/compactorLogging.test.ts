/**
 * The compactor handler's log lines carry its own keys only. In the local
 * stack it shares a process with the HTTP handlers, whose shared Powertools
 * logger holds the last request's keys (requestId, topic, ...): those must
 * not leak onto the compactor's lines. The Compactor itself is replaced by a
 * fake that logs through the logger it is given (no storage is touched).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createHttpHandler, defineRoute } from '../../functions/http/httpHandler.js';
import { defaultLogger, type Logger } from '../../functions/http/logger.js';
import { invoke, lambdaContext } from '../helpers/apiEvent.js';
import { jsonLinesWritten } from '../helpers/logLines.js';

vi.mock('../../functions/log/Compactor.js', () => ({
  Compactor: class {
    readonly #logger: Logger | undefined;
    constructor(options: { logger?: Logger }) {
      this.#logger = options.logger;
    }
    async runOnce() {
      this.#logger?.warn('compaction of a partition failed; the next run (an append, or the daily sweep) retries', { pk: 'fake#0' });
      return { segmentsWritten: 1, recordsCompacted: 0, batchesRolled: 2, offsetsExpired: 0, topicsPurged: 0, failures: 1, orphansDeleted: 0 };
    }
  },
}));


beforeAll(() => {
  for (const [name, value] of Object.entries({
    BROOK_LOG_TABLE: 'log',
    BROOK_TOPICS_TABLE: 'topics',
    BROOK_GROUPS_TABLE: 'groups',
    BROOK_KEYS_TABLE: 'keys',
    BROOK_SUBSCRIPTIONS_TABLE: 'subscriptions',
    BROOK_BUCKET: 'bucket',
  })) {
    vi.stubEnv(name, value);
  }
});

afterAll(() => {
  vi.unstubAllEnvs();
});

describe('Handler: compactor logging', () => {
  it('carries none of the previous HTTP request\'s keys, only its own', async () => {
    // Prepare: a request through the shared logger leaves its keys on it
    const http = createHttpHandler({
      logger: defaultLogger(),
      routes: {
        'GET /v1/topics/{topic}/partitions/{partition}/records': defineRoute({
          public: true,
          handle() {
            throw new Error('boom');
          },
        }),
      },
    });
    const { handler: compactor } = await import('../../functions/handlers/compactor.js');

    // Act
    const lines = await jsonLinesWritten(async () => {
      await invoke(http, { method: 'GET', path: '/v1/topics/orders/partitions/3/records', headers: { 'x-request-id': 'req-leak' } });
      await compactor();
      await compactor(undefined, { ...lambdaContext(), awsRequestId: 'compactor-run-2' });
      await invoke(http, { method: 'GET', path: '/v1/topics/orders/partitions/3/records', headers: { 'x-request-id': 'req-leak-2' } });
      await compactor();
    });

    // Assess
    const httpLines = lines.filter((line) => line.message === 'unhandled error');
    expect(httpLines.map((line) => line.requestId)).toEqual(['req-leak', 'req-leak-2']); // the HTTP lines keep theirs
    const compactorLines = lines.filter((line) => line.message !== 'unhandled error');
    expect(compactorLines.map((line) => line.message)).toEqual([
      expect.stringMatching(/^compaction of a partition failed/),
      'compaction run',
      expect.stringMatching(/^compaction of a partition failed/),
      'compaction run',
      expect.stringMatching(/^compaction of a partition failed/),
      'compaction run',
    ]);
    for (const line of compactorLines) {
      expect(line).toMatchObject({ trigger: 'sweep' });
      for (const key of ['requestId', 'topic', 'partition', 'groupId']) expect(line, `${line.message}: ${key}`).not.toHaveProperty(key);
    }
    expect(compactorLines[0]).toMatchObject({ level: 'WARN', pk: 'fake#0' });
    expect(compactorLines.slice(0, 2).map((line) => line.function_request_id)).toEqual([undefined, undefined]);
    expect(compactorLines.slice(2, 4).map((line) => line.function_request_id)).toEqual(['compactor-run-2', 'compactor-run-2']);
  });
});
