import * as z from 'zod';
import type { ErrorCode } from '../../protocol/errors.js';
import { isValidTopicName } from '../../protocol/names.js';
import type { TopicConfig } from '../../protocol/types.js';

/** Defaults of every topic setting (docs/http.md, Topics). */
export const DEFAULT_TOPIC_CONFIG: Readonly<TopicConfig> = {
  retentionMs: 604_800_000,
  retentionBytes: -1,
  cleanupPolicy: 'delete',
  maxMessageBytes: 1_048_576,
};

export const MAX_PARTITIONS = 1000;
/**
 * The largest `maxMessageBytes`: 4 MiB, so that a record always fits a
 * fetch response (Lambda answers at most 6 MB, and base64 adds a third).
 */
export const MAX_MESSAGE_BYTES_LIMIT = 4 * 1024 * 1024;

const retentionMs = z.int().min(-1);
const retentionBytes = z.int().min(-1);
const cleanupPolicy = z.enum(['delete', 'compact']);
const maxMessageBytes = z.int().min(1).max(MAX_MESSAGE_BYTES_LIMIT);
const partitions = z.int().min(1).max(MAX_PARTITIONS);

export const topicNameSchema = z
  .string()
  .refine(isValidTopicName, 'a topic name is 1 to 249 of [A-Za-z0-9._-], and not "." or ".."');

export const createTopicSchema = z.strictObject({
  name: topicNameSchema,
  partitions: partitions.optional(),
  config: z
    .strictObject({
      retentionMs: retentionMs.optional(),
      retentionBytes: retentionBytes.optional(),
      cleanupPolicy: cleanupPolicy.optional(),
      maxMessageBytes: maxMessageBytes.optional(),
    })
    .optional(),
});

/** In an alter, `null` puts a setting back to its default. */
export const alterTopicSchema = z.strictObject({
  partitions: partitions.optional(),
  config: z
    .strictObject({
      retentionMs: retentionMs.nullable().optional(),
      retentionBytes: retentionBytes.nullable().optional(),
      cleanupPolicy: cleanupPolicy.nullable().optional(),
      maxMessageBytes: maxMessageBytes.nullable().optional(),
    })
    .optional(),
});

export type CreateTopicInput = z.infer<typeof createTopicSchema>;
export type AlterTopicInput = z.infer<typeof alterTopicSchema>;

/** The contract's code for a bad field of a topic body: the name is INVALID_TOPIC, settings are INVALID_CONFIG. */
export function topicBodyErrorCode(path: readonly PropertyKey[]): ErrorCode {
  const [field] = path;
  if (field === 'name') return 'INVALID_TOPIC';
  if (field === 'partitions' || field === 'config') return 'INVALID_CONFIG';
  return 'INVALID_REQUEST';
}

/** Applies an alter's changes to a full config: given values replace, `null` restores the default. */
export function mergeTopicConfig(current: TopicConfig, changes: AlterTopicInput['config']): TopicConfig {
  const merged: TopicConfig = { ...current };
  if (!changes) return merged;
  for (const key of Object.keys(DEFAULT_TOPIC_CONFIG) as (keyof TopicConfig)[]) {
    if (!(key in changes)) continue;
    const value = changes[key];
    if (value === undefined) continue;
    (merged as unknown as Record<string, unknown>)[key] = value === null ? DEFAULT_TOPIC_CONFIG[key] : value;
  }
  return merged;
}
