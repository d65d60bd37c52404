import * as z from 'zod';
import type { ErrorCode } from '../../protocol/errors.js';
import { isValidTopicName } from '../../protocol/names.js';
import { MAX_MESSAGE_BYTES_LIMIT, MAX_PARTITIONS } from './topicSettings.js';

export { DEFAULT_TOPIC_CONFIG, MAX_MESSAGE_BYTES_LIMIT, MAX_PARTITIONS, mergeTopicConfig } from './topicSettings.js';

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
