import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import type { ApiKeyStore } from '../../functions/auth/ApiKeyStore.js';
import type { BrookConfig } from '../../functions/config.js';
import type { GroupCoordinator } from '../../functions/groups/GroupCoordinator.js';
import type { BrookHttpHandler } from '../../functions/http/httpHandler.js';
import { silentLogger } from '../../functions/http/logger.js';
import { routeKey, ROUTES } from '../../functions/layout/routes.js';
import { AppendNotifier } from '../../functions/log/appendNotifier.js';
import type { PartitionLog } from '../../functions/log/PartitionLog.js';
import type { TopicRegistry } from '../../functions/topics/TopicRegistry.js';
import {
  apiKeyStore,
  brookWiring,
  fetchApi,
  groupCoordinator,
  groupsApi,
  keysApi,
  partitionLog,
  produceApi,
  subscriptionsApi,
  topicRegistry,
  topicsApi,
  type Wiring,
  type WiringOptions,
} from '../../functions/wiring.js';
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
  /** The parts the handlers share (a dispatcher under test is built on them). */
  wiring: Wiring;
}

/**
 * The real handlers (one middy stack each, as deployed, built by
 * functions/wiring.ts) over one test config, joined by a dispatcher that
 * picks the function by route key, as API Gateway does. They share their
 * parts, and an append notifier of their own.
 */
export async function brookUnderTest(
  config: BrookConfig,
  options: Pick<WiringOptions, 'compression' | 'log' | 'groups'> = {},
): Promise<BrookUnderTest> {
  const wiring = brookWiring(config, { ...options, notifier: new AppendNotifier(), logger: silentLogger });
  const keys = apiKeyStore(wiring);
  await keys.ensureAdminKey(TEST_ADMIN_KEY);
  const handlers: Record<string, BrookHttpHandler> = {
    topics: topicsApi(wiring),
    produce: produceApi(wiring),
    fetch: fetchApi(wiring),
    groups: groupsApi(wiring),
    subscriptions: subscriptionsApi(wiring),
    keys: keysApi(wiring),
  };
  const byRouteKey = new Map(ROUTES.map((route) => [routeKey(route), handlers[route.function]]));
  const handler: BrookHttpHandler = (event: APIGatewayProxyEventV2, context: Context) => {
    const target = byRouteKey.get(event.routeKey);
    if (!target) throw new Error(`no handler for ${event.routeKey} in this test`);
    return target(event, context);
  };
  return {
    config,
    log: partitionLog(wiring),
    topics: topicRegistry(wiring),
    groups: groupCoordinator(wiring),
    keys,
    handler,
    wiring,
    call: (request) => invoke(handler, { apiKey: TEST_ADMIN_KEY, ...request }),
  };
}
