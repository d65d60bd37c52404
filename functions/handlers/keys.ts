import { ApiKeyStore } from '../auth/ApiKeyStore.js';
import { keyRoutes } from '../auth/keyRoutes.js';
import { loadConfig } from '../config.js';
import { createHttpHandler } from '../http/httpHandler.js';
import { createDocumentClient } from '../storage/clients.js';

const config = loadConfig();
const keys = new ApiKeyStore(createDocumentClient(config), config.tables.keys, { cacheTtlMs: config.keyCacheTtlMs });

/** `/v1/keys` routes: create, list, revoke. The same store checks the caller's key and manages keys. */
export const handler = createHttpHandler({ routes: keyRoutes(keys), keys });
