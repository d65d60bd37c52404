/**
 * The admin client: topics, groups, offsets, subscriptions and API keys, one
 * method per route of docs/http.md. Requests the server answers with a
 * retriable error are retried with backoff (see retry.ts).
 */
import type {
  AlterSubscriptionRequest,
  AlterTopicRequest,
  ApiKey,
  CreatedSubscription,
  CreateSubscriptionRequest,
  CreatedKey,
  CreateKeyRequest,
  CreateTopicRequest,
  GroupDescription,
  GroupOffset,
  GroupSummary,
  KeyList,
  OffsetReset,
  ResetOffsetsRequest,
  ResetSubscriptionRequest,
  SubscriptionDescription,
  SubscriptionReset,
  TopicDescription,
  TopicSummary,
} from '../protocol/types.js';
import { BrookError } from '../protocol/errors.js';
import { segment, type HttpTransport, type RequestOptions } from './http.js';
import { retry, type RetryOptions } from './retry.js';

export type {
  AlterSubscriptionRequest,
  ApiKey,
  CreatedKey,
  CreatedSubscription,
  CreateKeyRequest,
  CreateSubscriptionRequest,
  GroupDescription,
  GroupMember,
  GroupOffset,
  GroupState,
  GroupSummary,
  OffsetReset,
  Operation,
  Permission,
  ResetOffsetsRequest,
  ResetSubscriptionRequest,
  ResetTarget,
  SubscriptionDescription,
  SubscriptionPartition,
  SubscriptionReset,
  SubscriptionSettings,
  SubscriptionStart,
  SubscriptionState,
  SubscriptionTarget,
  TopicPartitions,
} from '../protocol/types.js';

/** A subscription as `listSubscriptions` answers it: its settings, without the partitions. */
export type SubscriptionSummary = Omit<SubscriptionDescription, 'partitions'>;

/** `earliest` (log start), `latest` (high watermark) or a timestamp in epoch ms. */
export type OffsetSpec = 'earliest' | 'latest' | number;

export class Admin {
  readonly #http: HttpTransport;
  readonly #retry: RetryOptions;

  constructor(http: HttpTransport, options: { retry?: RetryOptions } = {}) {
    this.#http = http;
    this.#retry = options.retry ?? {};
  }

  async #call<T>(method: string, path: string, options?: RequestOptions): Promise<T> {
    return retry(async () => (await this.#http.request<T>(method, path, options)).body, this.#retry);
  }

  /** `POST /v1/topics`: `TOPIC_EXISTS` if the name is taken. */
  createTopic(request: CreateTopicRequest): Promise<TopicDescription> {
    return this.#call('POST', '/v1/topics', { json: request });
  }

  /**
   * Creates each topic that does not exist yet, as kafkajs's `createTopics`
   * does: resolves `true` if every topic was created, `false` if any already
   * existed (those are left as they are). Safe to run at every start.
   */
  async createTopics({ topics }: { topics: CreateTopicRequest[] }): Promise<boolean> {
    const created = await Promise.all(
      topics.map((request) =>
        this.createTopic(request).then(
          () => true,
          (error: unknown) => {
            if (error instanceof BrookError && error.code === 'TOPIC_EXISTS') return false;
            throw error;
          },
        ),
      ),
    );
    return created.every(Boolean);
  }

  async listTopics(): Promise<TopicSummary[]> {
    return (await this.#call<{ topics: TopicSummary[] }>('GET', '/v1/topics')).topics;
  }

  describeTopic(topic: string): Promise<TopicDescription> {
    return this.#call('GET', `/v1/topics/${segment(topic)}`);
  }

  /** `PATCH /v1/topics/{topic}`: partitions only grow; a `null` config key goes back to its default. */
  alterTopic(topic: string, request: AlterTopicRequest): Promise<TopicDescription> {
    return this.#call('PATCH', `/v1/topics/${segment(topic)}`, { json: request });
  }

  async deleteTopic(topic: string): Promise<void> {
    await this.#call('DELETE', `/v1/topics/${segment(topic)}`);
  }

  async listGroups(): Promise<GroupSummary[]> {
    return (await this.#call<{ groups: GroupSummary[] }>('GET', '/v1/groups')).groups;
  }

  describeGroup(group: string): Promise<GroupDescription> {
    return this.#call('GET', `/v1/groups/${segment(group)}`);
  }

  /** The group's committed offsets, with lag. */
  async fetchGroupOffsets(group: string): Promise<GroupOffset[]> {
    return (await this.#call<{ offsets: GroupOffset[] }>('GET', `/v1/groups/${segment(group)}/offsets`)).offsets;
  }

  /** `POST /v1/groups/{group}/offsets/reset`: `GROUP_NOT_EMPTY` while the group has live members. */
  async resetOffsets(group: string, request: ResetOffsetsRequest): Promise<OffsetReset[]> {
    return (await this.#call<{ offsets: OffsetReset[] }>('POST', `/v1/groups/${segment(group)}/offsets/reset`, { json: request })).offsets;
  }

  /** `DELETE /v1/groups/{group}`: `GROUP_NOT_EMPTY` while the group has live members. */
  async deleteGroup(group: string): Promise<void> {
    await this.#call('DELETE', `/v1/groups/${segment(group)}`);
  }

  /**
   * `POST /v1/subscriptions` (admin on the topic; write on `onFailure.topic`):
   * push delivery of the topic's records to a webhook or a Lambda function,
   * from `startAt` (default `latest`). For a webhook, the answer's
   * `target.secret` signs every delivery (`verifyDelivery`); it is shown this
   * once and never again: keep it. `SUBSCRIPTION_EXISTS` if the name is taken
   * (also when a retry follows a lost answer: the secret is then lost, so
   * delete the subscription and create it again).
   */
  createSubscription(request: CreateSubscriptionRequest): Promise<CreatedSubscription> {
    return this.#call('POST', '/v1/subscriptions', { json: request });
  }

  /** `GET /v1/subscriptions`: those on topics the key may describe, by name, without secrets or partitions. */
  async listSubscriptions(): Promise<SubscriptionSummary[]> {
    return (await this.#call<{ subscriptions: SubscriptionSummary[] }>('GET', '/v1/subscriptions')).subscriptions;
  }

  /** `GET /v1/subscriptions/{name}`: settings and, per partition, position, lag, attempts and failures; `SUBSCRIPTION_NOT_FOUND` if unknown. */
  describeSubscription(name: string): Promise<SubscriptionDescription> {
    return this.#call('GET', `/v1/subscriptions/${segment(name)}`);
  }

  /**
   * `PATCH /v1/subscriptions/{name}`: changes the settings given (`state`,
   * `batchSize`, `maxBatchingWindowMs`, `maxRetries`, `maxRecordAgeMs`,
   * `onFailure`, `null` for none); the others stay. Answers the subscription as changed.
   */
  alterSubscription(name: string, changes: AlterSubscriptionRequest): Promise<SubscriptionDescription> {
    return this.#call('PATCH', `/v1/subscriptions/${segment(name)}`, { json: changes });
  }

  /** Stops delivery (`state: 'paused'`); positions stay where they are. */
  pauseSubscription(name: string): Promise<SubscriptionDescription> {
    return this.alterSubscription(name, { state: 'paused' });
  }

  /** Delivery goes on from the positions it stopped at (`state: 'active'`). */
  resumeSubscription(name: string): Promise<SubscriptionDescription> {
    return this.alterSubscription(name, { state: 'active' });
  }

  /**
   * `POST /v1/subscriptions/{name}/reset`: moves the positions of `partitions`
   * (default all) to `to` (`'earliest' | 'latest' | { timestamp } | { offset }`,
   * kept within the log), applied at once. Answers each partition's position
   * `before` and `after`.
   */
  async resetSubscription(name: string, request: ResetSubscriptionRequest): Promise<SubscriptionReset[]> {
    return (await this.#call<{ partitions: SubscriptionReset[] }>('POST', `/v1/subscriptions/${segment(name)}/reset`, { json: request })).partitions;
  }

  /** `DELETE /v1/subscriptions/{name}`: delivery stops; `SUBSCRIPTION_NOT_FOUND` if unknown. */
  async deleteSubscription(name: string): Promise<void> {
    await this.#call('DELETE', `/v1/subscriptions/${segment(name)}`);
  }

  /**
   * `POST /v1/keys` (admin on `cluster`): a new key for `principal`. The
   * answer's `secret` is shown this once and stored only hashed: keep it.
   * `expiresAt` (epoch ms) must be in the future. A `principal` that is an IAM
   * ARN grants these permissions to that IAM caller (docs/access.md).
   */
  createKey(request: CreateKeyRequest): Promise<CreatedKey> {
    return this.#call('POST', '/v1/keys', { json: request });
  }

  /** `GET /v1/keys` (admin on `cluster`): every key, without secrets. */
  async listKeys(): Promise<ApiKey[]> {
    return (await this.#call<KeyList>('GET', '/v1/keys')).keys;
  }

  /** `DELETE /v1/keys/{keyId}` (admin on `cluster`): the key stops working at once; `NOT_FOUND` if unknown. */
  async revokeKey(keyId: string): Promise<void> {
    await this.#call('DELETE', `/v1/keys/${segment(keyId)}`);
  }

  /** The partition's log start, high watermark, or first offset at or after a time (the high watermark if none). */
  async fetchOffset(topic: string, partition: number, at: OffsetSpec = 'latest'): Promise<number> {
    const path = `/v1/topics/${segment(topic)}/partitions/${segment(partition)}/offsets`;
    return (await this.#call<{ offset: number }>('GET', path, { query: { at } })).offset;
  }

  /** `fetchOffset` for every partition of the topic, by time or position (kafkajs `fetchTopicOffsetsByTimestamp`). */
  async fetchTopicOffsets(topic: string, at: OffsetSpec = 'latest'): Promise<{ partition: number; offset: number }[]> {
    const description = await this.describeTopic(topic);
    return Promise.all(
      description.partitions.map(async ({ partition }) => ({ partition, offset: await this.fetchOffset(topic, partition, at) })),
    );
  }
}
