/**
 * The compactor (docs/design.md, "Tiering to S3, retention and key
 * compaction"): the driver that runs its parts over each partition it is
 * given, and purges deleted topics. The parts, one job each: tiering.ts
 * (batches into S3 segments), retention.ts, keyCompaction.ts, topicPurge.ts
 * and orphanSweep.ts, over what CompactionStore.ts shares. A part that fails
 * fails its partition only: the run counts it and goes on with the others.
 */
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { scanAll } from '../storage/bulk.js';
import { DELETED_TOPIC_PREFIX, type DeletedTopicItem, type Topic } from '../topics/TopicRegistry.js';
import { CompactionStore, type CompactionStep } from './CompactionStore.js';
import { compactKeys } from './keyCompaction.js';
import type { Logger } from './logger.js';
import { deleteOrphans } from './orphanSweep.js';
import { HEAD_SORT_KEY, logPartitionKey } from '../layout/tables.js';
import { applyRetention } from './retention.js';
import { rollBatches, type TieringSettings } from './tiering.js';
import { purgeTopic } from './topicPurge.js';

export type { CompactionStep } from './CompactionStore.js';
export { ORPHAN_MIN_AGE_MS } from './orphanSweep.js';

export interface CompactorOptions {
  doc: DynamoDBDocumentClient;
  s3: S3Client;
  tables: { log: string; topics: string };
  bucket: string;
  /** Batches younger than this stay in DynamoDB (unless over the byte budget). @default 300000 */
  minAgeMs?: number;
  /** Bytes of batches a partition keeps in DynamoDB before the oldest are rolled regardless of age. @default 4194304 */
  dynamoDbBudgetBytes?: number;
  /** Largest segment object. @default 8388608 */
  maxSegmentBytes?: number;
  /** How long a tombstone stays in a key-compacted topic after its append, so consumers see it. @default 86400000 */
  tombstoneGraceMs?: number;
  now?: () => number;
  logger?: Logger;
  /** Called after each step; a test throws here to simulate a crash. */
  afterStep?: (step: CompactionStep) => void | Promise<void>;
}

export interface CompactionReport {
  segmentsWritten: number;
  /** Records dropped from key-compacted topics (superseded, or tombstones past their grace). */
  recordsCompacted: number;
  batchesRolled: number;
  offsetsExpired: number;
  topicsPurged: number;
  /** Partitions (or deleted topics) whose pass failed: left for a later run, and no sweep heartbeat. */
  failures: number;
  /** Batch objects no item refers to (an append that died between its S3 PUT and its item), deleted by a sweep. */
  orphansDeleted: number;
}

/** HEAD as a pass reads it: the high watermark, and what the last pass left (see `markPassed`). */
interface PassState {
  next: number;
  cw?: number;
  ot?: number;
  cp?: number;
}

/** A key-compacted partition is looked at again at least this often, for tombstones falling due. */
const TOMBSTONE_CHECK_MS = 3_600_000;

export class Compactor {
  private readonly store: CompactionStore;
  private readonly tiering: TieringSettings;
  private readonly tombstoneGraceMs: number;
  private readonly logger: Logger | undefined;

  constructor(options: CompactorOptions) {
    this.store = new CompactionStore({
      doc: options.doc,
      s3: options.s3,
      tables: options.tables,
      bucket: options.bucket,
      now: options.now ?? Date.now,
      logger: options.logger,
      afterStep: options.afterStep ?? (() => undefined),
    });
    this.tiering = {
      minAgeMs: options.minAgeMs ?? 300_000,
      dynamoDbBudgetBytes: options.dynamoDbBudgetBytes ?? 4 * 1024 * 1024,
      maxSegmentBytes: options.maxSegmentBytes ?? 8 * 1024 * 1024,
    };
    this.tombstoneGraceMs = options.tombstoneGraceMs ?? 86_400_000;
    this.logger = options.logger;
  }

  /** A sweep: every partition of every topic, the orphan sweep, and the purge of deleted topics (the schedule). */
  async runOnce(): Promise<CompactionReport> {
    return this.run(() => true, { sweep: true });
  }

  /**
   * A pass over the partitions named by their log keys (`<topicId>#<partition>`,
   * as the log table's stream reports changed HEAD items), and the purge of
   * deleted topics: what an append triggers, so that an idle log costs nothing.
   */
  async runFor(partitionKeys: Iterable<string>): Promise<CompactionReport> {
    const wanted = new Set(partitionKeys);
    return this.run((topic, partition) => wanted.has(logPartitionKey(topic.topicId, partition)), { sweep: false });
  }

  private async run(includes: (topic: Topic, partition: number) => boolean, { sweep }: { sweep: boolean }): Promise<CompactionReport> {
    const report: CompactionReport = {
      segmentsWritten: 0,
      recordsCompacted: 0,
      batchesRolled: 0,
      offsetsExpired: 0,
      topicsPurged: 0,
      failures: 0,
      orphansDeleted: 0,
    };
    const items = await scanAll<{ pk: string } & Record<string, unknown>>(this.store.doc, { TableName: this.store.tables.topics, ConsistentRead: true });
    for (const item of items) {
      if (item.pk.startsWith(DELETED_TOPIC_PREFIX)) {
        try {
          await this.purgeTopic(item as unknown as DeletedTopicItem);
          report.topicsPurged++;
        } catch (error) {
          report.failures++;
          this.logger?.warn('purge of a deleted topic failed; the next run retries', { marker: item.pk, error: (error as Error).message });
        }
        continue;
      }
      if (item.pk.startsWith('#')) continue;
      const topic = item as unknown as Topic;
      for (let partition = 0; partition < topic.partitions; partition++) {
        if (!includes(topic, partition)) continue;
        try {
          await this.processPartition(topic, partition, report);
          if (sweep) report.orphansDeleted += await this.deleteOrphans(topic, partition);
        } catch (error) {
          report.failures++;
          this.logger?.warn('compaction of a partition failed; the next run (an append, or the daily sweep) retries', {
            topic: topic.name,
            partition,
            error: (error as Error).message,
          });
        }
      }
    }
    return report;
  }

  /**
   * One partition's pass: roll batches into segments, apply retention,
   * compact keys. An idle partition costs one eventually consistent read:
   * the pass is skipped when HEAD shows nothing new since a pass that left no
   * batch in DynamoDB (`cw`), and no retention or tombstone deadline has come.
   */
  async processPartition(topic: Pick<Topic, 'topicId' | 'config'>, partition: number, report?: CompactionReport): Promise<void> {
    const pk = logPartitionKey(topic.topicId, partition);
    const seen = await this.store.doc.send(new GetCommand({ TableName: this.store.tables.log, Key: { pk, sk: HEAD_SORT_KEY } }));
    const head = seen.Item as Partial<PassState> | undefined;
    const next = head?.next ?? 0;
    if (next === 0 || !this.passDue(topic, { ...head, next })) return;
    await this.compactPartition(topic, partition, report);
    await this.applyRetention(topic, partition, report);
    await this.compactKeys(topic, partition, report);
    await this.markPassed(topic.topicId, partition, next);
  }

  /** Rolls old enough (or over-budget) committed batches of one partition into segments (tiering.ts). */
  async compactPartition(topic: Pick<Topic, 'topicId'>, partition: number, report?: CompactionReport): Promise<void> {
    const rolled = await rollBatches(this.store, topic.topicId, partition, this.tiering);
    if (report) {
      report.segmentsWritten += rolled.segmentsWritten;
      report.batchesRolled += rolled.batchesRolled;
    }
  }

  /** Removes whole segments and batches past the topic's retention and moves the log start offset (retention.ts). */
  async applyRetention(topic: Pick<Topic, 'topicId' | 'config'>, partition: number, report?: CompactionReport): Promise<void> {
    const expired = await applyRetention(this.store, topic, partition);
    if (report) report.offsetsExpired += expired;
  }

  /** Key compaction of a `cleanupPolicy: compact` topic's segments (keyCompaction.ts). */
  async compactKeys(topic: Pick<Topic, 'topicId' | 'config'>, partition: number, report?: CompactionReport): Promise<void> {
    const dropped = await compactKeys(this.store, topic, partition, this.tombstoneGraceMs);
    if (report) report.recordsCompacted += dropped;
  }

  /** Removes every log item and S3 object of a deleted topic, then its marker (topicPurge.ts). */
  async purgeTopic(marker: DeletedTopicItem): Promise<void> {
    await purgeTopic(this.store, marker);
  }

  /** Deletes the partition's old batch objects that no item refers to (orphanSweep.ts); returns how many. */
  async deleteOrphans(topic: Pick<Topic, 'topicId'>, partition: number): Promise<number> {
    return deleteOrphans(this.store, topic, partition);
  }

  private passDue(topic: Pick<Topic, 'config'>, head: PassState): boolean {
    if (head.cw !== head.next) return true;
    const now = this.store.now();
    const { retentionMs, cleanupPolicy } = topic.config;
    if (cleanupPolicy === 'delete') return retentionMs >= 0 && head.ot !== undefined && head.ot < now - retentionMs;
    // Key-compacted: tombstones fall due with time alone; look again once an hour (or per grace period, if shorter).
    return head.cp === undefined || now - head.cp >= Math.min(this.tombstoneGraceMs, TOMBSTONE_CHECK_MS);
  }

  /**
   * Records on HEAD what the pass left: `cw`, the high watermark it started
   * from when no batch is left in DynamoDB; `ot`, the oldest append time still
   * in the log; `cp`, when it ran. Appends never touch these attributes.
   */
  private async markPassed(topicId: string, partition: number, passedNext: number): Promise<void> {
    const { pk, items } = await this.store.committedItems(topicId, partition);
    const batchesLeft = items.some((item) => !item.s);
    const oldest = items.reduce((min, item) => Math.min(min, item.t), Number.POSITIVE_INFINITY);
    await this.store.doc.send(
      new UpdateCommand({
        TableName: this.store.tables.log,
        Key: { pk, sk: HEAD_SORT_KEY },
        UpdateExpression: `SET cp = :now${Number.isFinite(oldest) ? ', ot = :ot' : ''}${batchesLeft ? '' : ', cw = :cw'}${removals(batchesLeft ? 'cw' : undefined, Number.isFinite(oldest) ? undefined : 'ot')}`,
        ConditionExpression: 'attribute_exists(#next)',
        ExpressionAttributeNames: { '#next': 'next' },
        ExpressionAttributeValues: {
          ':now': this.store.now(),
          ...(Number.isFinite(oldest) ? { ':ot': oldest } : {}),
          ...(batchesLeft ? {} : { ':cw': passedNext }),
        },
      }),
    );
  }
}

function removals(...names: (string | undefined)[]): string {
  const present = names.filter((name): name is string => name !== undefined);
  return present.length > 0 ? ` REMOVE ${present.join(', ')}` : '';
}
