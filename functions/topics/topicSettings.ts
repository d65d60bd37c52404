/**
 * Topic settings as values: defaults, limits, and how an alter's changes
 * apply. Apart from the request schemas (topicConfig.ts), so that the code
 * that only reads topics does not carry the validator.
 */
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

/** Applies an alter's changes to a full config: given values replace, `null` restores the default. */
export function mergeTopicConfig(current: TopicConfig, changes: { readonly [K in keyof TopicConfig]?: TopicConfig[K] | null } | undefined): TopicConfig {
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
