import { ApiKeyStore } from '../auth/ApiKeyStore.js';
import { loadConfig } from '../config.js';
import { createHttpHandler } from '../http/httpHandler.js';
import { processAppendNotifier } from '../log/appendNotifier.js';
import { FetchService } from '../log/FetchService.js';
import { fetchRoutes } from '../log/logRoutes.js';
import { PartitionLog } from '../log/PartitionLog.js';
import { createDocumentClient } from '../storage/clients.js';
import { createS3Client } from '../storage/s3Client.js';
import { TopicRegistry } from '../topics/TopicRegistry.js';

const config = loadConfig();
const doc = createDocumentClient(config);
const log = new PartitionLog({ doc, s3: createS3Client(config), logTable: config.tables.log, bucket: config.bucket, inlineBatchMaxBytes: config.inlineBatchMaxBytes });

/** Fetch one partition, `POST /v1/fetch` for many, and offsets by time. */
export const handler = createHttpHandler({
  routes: fetchRoutes({ topics: new TopicRegistry(doc, config.tables), fetch: new FetchService(log, processAppendNotifier), log }),
  keys: new ApiKeyStore(doc, config.tables.keys, { cacheTtlMs: config.keyCacheTtlMs }),
});
