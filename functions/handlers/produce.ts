import { ApiKeyStore } from '../auth/ApiKeyStore.js';
import { loadConfig } from '../config.js';
import { createHttpHandler } from '../http/httpHandler.js';
import { processAppendNotifier } from '../log/appendNotifier.js';
import { produceRoutes } from '../log/logRoutes.js';
import { partitionLogFor } from '../log/PartitionLog.js';
import { ProduceService } from '../log/ProduceService.js';
import { ProducerRegistry } from '../log/ProducerRegistry.js';
import { createDocumentClient } from '../storage/clients.js';
import { TopicRegistry } from '../topics/TopicRegistry.js';
import { RECORD_BATCH_CONTENT_TYPE } from '../../protocol/recordBatch.js';

const config = loadConfig();
const doc = createDocumentClient(config);
const log = partitionLogFor(config, doc, {
  onAppend: (partitionKey, highWatermark) => processAppendNotifier.notify(partitionKey, highWatermark),
});
const producers = new ProducerRegistry(doc, config.tables.topics);

/** `POST /v1/topics/{topic}/records` (JSON or binary batch) and `POST /v1/producers`. */
export const handler = createHttpHandler({
  routes: produceRoutes({ topics: new TopicRegistry(doc, config.tables), produce: new ProduceService({ log, producers }), producers }),
  keys: new ApiKeyStore(doc, config.tables.keys, { cacheTtlMs: config.keyCacheTtlMs }),
  binaryContentTypes: [RECORD_BATCH_CONTENT_TYPE],
});
