import { loadConfig } from '../config.js';
import { defaultLogger } from '../http/logger.js';
import { defaultMetrics } from '../http/metrics.js';
import { Compactor, type CompactionReport } from '../log/Compactor.js';
import { createDocumentClient } from '../storage/clients.js';
import { createS3Client } from '../storage/s3Client.js';

const config = loadConfig();
const logger = defaultLogger();
const metrics = defaultMetrics();
const compactor = new Compactor({
  doc: createDocumentClient(config),
  s3: createS3Client(config),
  tables: config.tables,
  bucket: config.bucket,
  minAgeMs: config.compactMinAgeMs,
  logger,
});

/** The scheduled compactor (an EventBridge rule in AWS, a timer in the local stack). */
export async function handler(): Promise<CompactionReport> {
  const started = Date.now();
  try {
    const report = await compactor.runOnce();
    if (report.segmentsWritten + report.offsetsExpired + report.topicsPurged > 0) logger.info('compaction run', { ...report });
    // The heartbeat of the compactor-lag alarm: only a finished run counts.
    metrics.add('compactorRuns', 1);
    metrics.add('compactorBatchesRolled', report.batchesRolled);
    metrics.add('compactorDuration', Date.now() - started);
    return report;
  } finally {
    metrics.flush();
  }
}
