import { ApiKeyStore } from '../auth/ApiKeyStore.js';
import { loadConfig } from '../config.js';
import { createHttpHandler } from '../http/httpHandler.js';
import { processAppendNotifier } from '../log/appendNotifier.js';
import { FetchService } from '../log/FetchService.js';
import { fetchRoutes } from '../log/logRoutes.js';
import { partitionLogFor } from '../log/PartitionLog.js';
import { createDocumentClient } from '../storage/clients.js';
import { TopicRegistry } from '../topics/TopicRegistry.js';

const config = loadConfig();
const doc = createDocumentClient(config);
const log = partitionLogFor(config, doc);

/** Fetch one partition, `POST /v1/fetch` for many, and offsets by time. */
export const handler = createHttpHandler({
  routes: fetchRoutes({ topics: new TopicRegistry(doc, config.tables), fetch: new FetchService(log, processAppendNotifier), log }),
  keys: new ApiKeyStore(doc, config.tables.keys, { cacheTtlMs: config.keyCacheTtlMs }),
});
