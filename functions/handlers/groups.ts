import { ApiKeyStore } from '../auth/ApiKeyStore.js';
import { loadConfig } from '../config.js';
import { GroupCoordinator } from '../groups/GroupCoordinator.js';
import { groupRoutes } from '../groups/groupRoutes.js';
import { createHttpHandler } from '../http/httpHandler.js';
import { partitionLogFor } from '../log/PartitionLog.js';
import { createDocumentClient } from '../storage/clients.js';
import { TopicRegistry } from '../topics/TopicRegistry.js';

const config = loadConfig();
const doc = createDocumentClient(config);
// Only read here: high watermarks for lag, and offsets by time for a reset (which may read a batch in S3).
const log = partitionLogFor(config, doc);

/** `/v1/groups` routes: join, heartbeat, leave, commit, offsets, reset, list, describe, delete. */
export const handler = createHttpHandler({
  routes: groupRoutes(new GroupCoordinator({ doc, tables: config.tables, log, topics: new TopicRegistry(doc, config.tables) })),
  keys: new ApiKeyStore(doc, config.tables.keys, { cacheTtlMs: config.keyCacheTtlMs }),
});
