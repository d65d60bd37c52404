import { describe, expect, it } from 'vitest';
import {
  alterTopicSchema,
  createTopicSchema,
  DEFAULT_TOPIC_CONFIG,
  mergeTopicConfig,
  topicBodyErrorCode,
} from '../../functions/topics/topicConfig.js';
import { isValidGroupName, isValidTopicName } from '../../protocol/names.js';

describe('topics: names and config', () => {
  it('follows Kafka\'s topic name rule', () => {
    for (const name of ['a', 'orders', 'A.b_c-9', 'x'.repeat(249), '...']) expect(isValidTopicName(name)).toBe(true);
    for (const name of ['', 'x'.repeat(250), 'a/b', 'é', 'a b', '.', '..', 'a#b', 'a*']) expect(isValidTopicName(name)).toBe(false);
  });

  it('allows group names of up to 255 characters', () => {
    expect(isValidGroupName('g'.repeat(255))).toBe(true);
    expect(isValidGroupName('g'.repeat(256))).toBe(false);
  });

  it('gives the name INVALID_TOPIC and settings INVALID_CONFIG', () => {
    expect(topicBodyErrorCode(['name'])).toBe('INVALID_TOPIC');
    expect(topicBodyErrorCode(['partitions'])).toBe('INVALID_CONFIG');
    expect(topicBodyErrorCode(['config', 'retentionMs'])).toBe('INVALID_CONFIG');
    expect(topicBodyErrorCode([])).toBe('INVALID_REQUEST');
  });

  it('accepts the edges of each setting and refuses past them', () => {
    const ok = { name: 't', partitions: 1000, config: { retentionMs: -1, retentionBytes: -1, maxMessageBytes: 1 } };
    expect(createTopicSchema.safeParse(ok).success).toBe(true);
    expect(createTopicSchema.safeParse({ ...ok, partitions: 1001 }).success).toBe(false);
    expect(createTopicSchema.safeParse({ ...ok, config: { retentionMs: Number.MAX_SAFE_INTEGER + 2 } }).success).toBe(false);
    expect(createTopicSchema.safeParse({ ...ok, config: { maxMessageBytes: 4 * 1024 * 1024 + 1 } }).success).toBe(false);
  });

  it('merges an alter: values replace, null restores the default, absent keys stay', () => {
    const current = { ...DEFAULT_TOPIC_CONFIG, retentionMs: 10, maxMessageBytes: 99 };
    const changes = alterTopicSchema.parse({ config: { retentionMs: null, cleanupPolicy: 'compact' } }).config;

    expect(mergeTopicConfig(current, changes)).toEqual({
      retentionMs: DEFAULT_TOPIC_CONFIG.retentionMs,
      retentionBytes: -1,
      cleanupPolicy: 'compact',
      maxMessageBytes: 99,
    });
    expect(mergeTopicConfig(current, undefined)).toEqual(current);
  });
});
