/**
 * Partition keys: one string per topic and partition, so that the consumer's
 * parts can keep partitions in Sets and Maps, and the way back to the
 * `{ topic, partitions }` lists the API speaks.
 */
import type { TopicPartitions } from '../../protocol/types.js';

/** The key of one partition of a topic. */
export const tp = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

/** The topic and partition of a key. */
export const untp = (key: string): [string, number] => {
  const [topic, partition] = key.split('\u0000');
  return [topic!, Number(partition)];
};

/** The keys of an assignment as the server answers it. */
export function keysOf(assignment: TopicPartitions[]): Set<string> {
  return new Set(assignment.flatMap(({ topic, partitions }) => partitions.map((p) => tp(topic, p))));
}

/** Keys grouped by topic, partitions in order. */
export function toTopicPartitions(keys: Iterable<string>): TopicPartitions[] {
  const byTopic = new Map<string, number[]>();
  for (const key of keys) {
    const [topic, partition] = untp(key);
    byTopic.set(topic, [...(byTopic.get(topic) ?? []), partition]);
  }
  return [...byTopic].map(([topic, partitions]) => ({ topic, partitions: partitions.sort((a, b) => a - b) }));
}
