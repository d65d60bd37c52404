import type { Context, DynamoDBStreamEvent } from 'aws-lambda';
import { loadConfig } from '../config.js';
import { createLogger } from '../http/logger.js';
import { defaultMetrics } from '../http/metrics.js';
import type { CompactionReport } from '../log/Compactor.js';
import { changedPartitionKeys } from '../log/compactionTrigger.js';
import { brookWiring, createCompactor } from '../wiring.js';

// A logger of its own: in the local stack the HTTP handlers share the process,
// and their request keys (requestId, topic, ...) must not show on its lines.
const logger = createLogger();
const metrics = defaultMetrics();
const compactor = createCompactor(brookWiring(loadConfig()), logger);

/**
 * The compactor. Invoked by the log table's stream with the partitions whose
 * HEAD changed (appends), it passes over just those; invoked by the schedule
 * (an EventBridge rule in AWS, a timer in the local stack), it sweeps every
 * partition. So an idle log invokes it only for the sweep (docs/design.md).
 */
export async function handler(event?: DynamoDBStreamEvent | Record<string, unknown>, context?: Context): Promise<CompactionReport> {
  const started = Date.now();
  const partitions = changedPartitionKeys(event);
  // Each run's lines carry its own keys only, never a previous run's.
  logger.startRequest?.({ trigger: partitions ? 'appends' : 'sweep' }, context);
  try {
    const report = partitions ? await compactor.runFor(partitions) : await compactor.runOnce();
    if (report.segmentsWritten + report.offsetsExpired + report.topicsPurged + report.orphansDeleted + report.failures > 0) logger.info('compaction run', { ...report });
    metrics.add('compactorRuns', 1);
    metrics.add('compactorFailures', report.failures);
    // The heartbeat of the compactor-lag alarm: only a sweep that finished every partition counts,
    // so a partition that keeps failing surfaces as lag.
    if (!partitions && report.failures === 0) metrics.add('compactorSweeps', 1);
    metrics.add('compactorBatchesRolled', report.batchesRolled);
    metrics.add('compactorDuration', Date.now() - started);
    return report;
  } finally {
    metrics.flush();
  }
}
