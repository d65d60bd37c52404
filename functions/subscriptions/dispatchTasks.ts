/**
 * Which (subscription, partition) pairs a dispatcher run looks at: those of
 * the partitions that got appends, and those of one subscription whose
 * position is behind the high watermark (a change of the subscription, the
 * sweep). Delivering them is the dispatcher's (Dispatcher.ts).
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { readHeadsOf } from '../storage/partitionHeads.js';
import type { TopicRegistry } from '../topics/TopicRegistry.js';
import type { SubscriptionItem } from './subscriptionItems.js';
import type { SubscriptionStore } from './SubscriptionStore.js';

export interface Task {
  subscription: SubscriptionItem;
  partition: number;
}

/** The active subscriptions of the topics of these log partitions (`<topicId>#<partition>`), for each of those partitions. */
export async function tasksOfAppends(store: Pick<SubscriptionStore, 'ofTopic'>, partitionKeys: Iterable<string>): Promise<Task[]> {
  const byTopic = new Map<string, Set<number>>();
  for (const key of partitionKeys) {
    const at = key.lastIndexOf('#');
    const partition = Number(key.slice(at + 1));
    if (at <= 0 || !Number.isSafeInteger(partition)) continue;
    const topicId = key.slice(0, at);
    byTopic.set(topicId, (byTopic.get(topicId) ?? new Set()).add(partition));
  }
  const tasks: Task[] = [];
  for (const [topicId, partitions] of byTopic) {
    for (const subscription of await store.ofTopic(topicId)) {
      if (subscription.state !== 'active') continue;
      for (const partition of partitions) tasks.push({ subscription, partition });
    }
  }
  return tasks;
}

export interface DueTaskSources {
  store: Pick<SubscriptionStore, 'snapshot'>;
  topics: Pick<TopicRegistry, 'find'>;
  doc: DynamoDBDocumentClient;
  logTable: string;
}

/** One active subscription's partitions whose position is behind the high watermark. */
export async function dueTasks({ store, topics, doc, logTable }: DueTaskSources, name: string): Promise<Task[]> {
  const snapshot = await store.snapshot(name).catch(() => undefined);
  if (!snapshot || snapshot.subscription.state !== 'active') return [];
  const { subscription, deliveries } = snapshot;
  const topic = await topics.find(subscription.topic);
  if (!topic || topic.topicId !== subscription.topicId) return [];
  const heads = await readHeadsOf(doc, logTable, topic.topicId, Array.from({ length: topic.partitions }, (_, p) => p));
  return heads
    .filter((head) => {
      const position = deliveries.get(head.partition)?.position ?? subscription.start[String(head.partition)] ?? 0;
      return Math.max(position, head.logStartOffset) < head.highWatermark;
    })
    .map((head) => ({ subscription, partition: head.partition }));
}

/** Each (subscription, partition) once. */
export function unique(tasks: Task[]): Task[] {
  const seen = new Set<string>();
  return tasks.filter((task) => {
    const key = `${task.subscription.name}#${task.partition}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
