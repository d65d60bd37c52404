import { ApiKeyStore } from '../auth/ApiKeyStore.js';
import { loadConfig } from '../config.js';
import { createHttpHandler } from '../http/httpHandler.js';
import { createDocumentClient } from '../storage/clients.js';
import { TopicRegistry } from '../topics/TopicRegistry.js';
import { topicRoutes } from '../topics/topicRoutes.js';

const config = loadConfig();
const doc = createDocumentClient(config);

/** `/v1/topics` routes: create, list, describe, alter, delete. */
export const handler = createHttpHandler({
  routes: topicRoutes(new TopicRegistry(doc, config.tables)),
  keys: new ApiKeyStore(doc, config.tables.keys, { cacheTtlMs: config.keyCacheTtlMs }),
});
