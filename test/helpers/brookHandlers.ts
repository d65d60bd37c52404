import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { ApiKeyStore } from '../../functions/auth/ApiKeyStore.js';
import { keyRoutes } from '../../functions/auth/keyRoutes.js';
import type { BrookConfig } from '../../functions/config.js';
import { GroupCoordinator, type GroupCoordinatorOptions } from '../../functions/groups/GroupCoordinator.js';
import { groupRoutes } from '../../functions/groups/groupRoutes.js';
import { createHttpHandler, type BrookHttpHandler } from '../../functions/http/httpHandler.js';
import { silentLogger } from '../../functions/http/logger.js';
import { routeKey, ROUTES } from '../../functions/http/routes.js';
import { AppendNotifier } from '../../functions/log/appendNotifier.js';
import { FetchService } from '../../functions/log/FetchService.js';
import { fetchRoutes, produceRoutes } from '../../functions/log/logRoutes.js';
import { partitionLogFor, type PartitionLog, type PartitionLogOptions } from '../../functions/log/PartitionLog.js';
import { ProduceService, type BatchCompression } from '../../functions/log/ProduceService.js';
import { ProducerRegistry } from '../../functions/log/ProducerRegistry.js';
import { createDocumentClient } from '../../functions/storage/clients.js';
import { TopicRegistry } from '../../functions/topics/TopicRegistry.js';
import { topicRoutes } from '../../functions/topics/topicRoutes.js';
import { RECORD_BATCH_CONTENT_TYPE } from '../../protocol/recordBatch.js';
import { invoke, type ApiRequest, type ApiResponse } from './apiEvent.js';

export const TEST_ADMIN_KEY = 'integration-admin-key';

export interface BrookUnderTest {
  config: BrookConfig;
  log: PartitionLog;
  topics: TopicRegistry;
  groups: GroupCoordinator;
  keys: ApiKeyStore;
  /** Routes a request to the handler API Gateway would pick, with the admin key unless one is given. */
  call(request: ApiRequest): Promise<ApiResponse>;
  handler: BrookHttpHandler;
}

/**
 * The real handlers (one middy stack each, as deployed) over one test config,
 * joined by a dispatcher that picks the function by route key, as API
 * Gateway does.
 */
export async function brookUnderTest(
  config: BrookConfig,
  options: {
    compression?: BatchCompression;
    log?: Partial<PartitionLogOptions>;
    /** The group coordinator's clock and topic cache (a fake clock makes leases expire at once). */
    groups?: Pick<GroupCoordinatorOptions, 'now' | 'topicMetadataMaxAgeMs'>;
  } = {},
): Promise<BrookUnderTest> {
  const doc = createDocumentClient(config);
  const keys = new ApiKeyStore(doc, config.tables.keys, { cacheTtlMs: config.keyCacheTtlMs });
  await keys.ensureAdminKey(TEST_ADMIN_KEY);
  const notifier = new AppendNotifier();
  const log = partitionLogFor(config, doc, { onAppend: (key, hw) => notifier.notify(key, hw), ...options.log });
  const topics = new TopicRegistry(doc, config.tables);
  const producers = new ProducerRegistry(doc, config.tables.topics);
  const groups = new GroupCoordinator({ doc, tables: config.tables, log, topics, ...options.groups });
  const common = { keys, logger: silentLogger };
  const handlers: Record<string, BrookHttpHandler> = {
    topics: createHttpHandler({ ...common, routes: topicRoutes(topics) }),
    produce: createHttpHandler({
      ...common,
      routes: produceRoutes({ topics, producers, produce: new ProduceService({ log, producers, ...(options.compression ? { compression: options.compression } : {}) }) }),
      binaryContentTypes: [RECORD_BATCH_CONTENT_TYPE],
    }),
    fetch: createHttpHandler({ ...common, routes: fetchRoutes({ topics, log, fetch: new FetchService(log, notifier) }) }),
    groups: createHttpHandler({ ...common, routes: groupRoutes(groups) }),
    keys: createHttpHandler({ ...common, routes: keyRoutes(keys) }),
  };
  const byRouteKey = new Map(ROUTES.map((route) => [routeKey(route), handlers[route.function]]));
  const handler: BrookHttpHandler = (event: APIGatewayProxyEventV2, context: Context) => {
    const target = byRouteKey.get(event.routeKey);
    if (!target) throw new Error(`no handler for ${event.routeKey} in this test`);
    return target(event, context);
  };
  return {
    config,
    log,
    topics,
    groups,
    keys,
    handler,
    call: (request) => invoke(handler, { apiKey: TEST_ADMIN_KEY, ...request }),
  };
}
