/**
 * Offset bookkeeping: each owned partition's position (the next offset to
 * read) and its last commit; where a partition the member just got starts
 * (the group's committed offset, else the log start with `fromBeginning` or
 * the high watermark); commits, sent one at a time in the order asked (the
 * server accepts a lower offset, a replay, so order matters), and when the
 * next auto-commit is due.
 */
import { BrookError } from '../../protocol/errors.js';
import { segment } from '../http.js';
import { retry } from '../retry.js';
import type { ConsumerContext } from './context.js';
import type { Membership } from './Membership.js';
import { tp, untp } from './partitionKeys.js';
import type { TopicPartitionOffset } from './types.js';

export class OffsetManager {
  readonly #context: ConsumerContext;
  readonly #membership: Membership;
  /** Next offset to read, per owned partition. */
  readonly #positions = new Map<string, number>();
  /** Positions last committed. */
  readonly #committed = new Map<string, number>();
  #lastCommitAt = 0;
  /** The commit in flight and those queued behind it. */
  #commits: Promise<unknown> = Promise.resolve();

  constructor(context: ConsumerContext, membership: Membership) {
    this.#context = context;
    this.#membership = membership;
  }

  /** Whether the partition's position is known. */
  has(key: string): boolean {
    return this.#positions.has(key);
  }

  position(key: string): number | undefined {
    return this.#positions.get(key);
  }

  /** Moves a partition's position (a handled message, a seek): the next commit stores it. */
  setPosition(key: string, offset: number): void {
    this.#positions.set(key, offset);
  }

  /** Forgets every partition (a new membership). */
  clear(): void {
    this.#positions.clear();
    this.#committed.clear();
  }

  /** Forgets partitions handed over. */
  forget(keys: string[]): void {
    for (const key of keys) {
      this.#positions.delete(key);
      this.#committed.delete(key);
    }
  }

  /** Starts the auto-commit clock: the first auto-commit comes one interval after the start. */
  startClock(): void {
    this.#lastCommitAt = Date.now();
  }

  /** With `autoCommit`, whether `autoCommitIntervalMs` passed since the last commit. */
  autoCommitDue(): boolean {
    return this.#context.autoCommit && Date.now() - this.#lastCommitAt >= (this.#context.options.autoCommitIntervalMs ?? 5_000);
  }

  /** Where to start partitions the member just got: the committed offset, else the log start or end. */
  async start(keys: string[]): Promise<void> {
    const committed = await this.fetchCommitted();
    await Promise.all(
      keys.map(async (key) => {
        const [topic, partition] = untp(key);
        const found = committed.find((entry) => entry.topic === topic && entry.partition === partition);
        if (found) {
          this.#positions.set(key, found.offset);
          this.#committed.set(key, found.offset);
        } else {
          // A reset position is not a commit: the next commit stores it, so the group does not reset again later.
          this.#positions.set(key, await this.#resetOffset(topic, partition));
          this.#committed.delete(key);
        }
      }),
    );
  }

  /** The group's committed offsets, read from the server (retried). */
  async fetchCommitted(): Promise<TopicPartitionOffset[]> {
    const response = await retry(
      () => this.#context.http.request<{ offsets: TopicPartitionOffset[] }>('GET', `/v1/groups/${this.#context.group}/offsets`),
      this.#context.retry,
    );
    return response.body.offsets;
  }

  /** After `OFFSET_OUT_OF_RANGE`: starts the partition again at the log start or end (where it was, if that cannot be read). */
  async reset(topic: string, partition: number): Promise<void> {
    const key = tp(topic, partition);
    this.#positions.set(key, await this.#resetOffset(topic, partition).catch(() => this.#positions.get(key)!));
  }

  async #resetOffset(topic: string, partition: number): Promise<number> {
    const at = this.#context.subscription.fromBeginning ? 'earliest' : 'latest';
    const response = await retry(
      () =>
        this.#context.http.request<{ offset: number }>('GET', `/v1/topics/${segment(topic)}/partitions/${partition}/offsets`, {
          query: { at },
        }),
      this.#context.retry,
    );
    return response.body.offset;
  }

  /**
   * Commits `offsets`, or, without arguments, the position of every partition
   * this member still owns that moved since its last commit.
   */
  async commit(offsets?: TopicPartitionOffset[]): Promise<void> {
    if (offsets) {
      await this.#send(offsets.map(({ topic, partition, offset }) => ({ key: tp(topic, partition), topic, partition, offset })));
      return;
    }
    await this.commitPositions(this.#membership.owned());
  }

  /** Commits the positions of those partitions that moved since their last commit. */
  async commitPositions(keys: string[]): Promise<void> {
    const offsets = keys
      .filter((key) => this.#positions.has(key) && this.#positions.get(key) !== this.#committed.get(key))
      .map((key) => {
        const [topic, partition] = untp(key);
        return { key, topic, partition, offset: this.#positions.get(key)! };
      });
    await this.#send(offsets);
  }

  async #send(offsets: (TopicPartitionOffset & { key: string })[]): Promise<void> {
    if (offsets.length === 0) return;
    const member = this.#membership.member;
    if (!member) {
      // Not silently: a caller committing by hand must know nothing was stored.
      throw new BrookError('REBALANCE_IN_PROGRESS', 'not a member of the group now (joining again, or disconnected): nothing was committed', {
        origin: 'sdk',
      });
    }
    this.#lastCommitAt = Date.now();
    const send = () =>
      retry(
        () =>
          this.#context.http.request('POST', `/v1/groups/${this.#context.group}/offsets`, {
            json: {
              memberId: member.memberId,
              generation: member.generation,
              offsets: offsets.map(({ topic, partition, offset }) => ({ topic, partition, offset })),
            },
          }),
        this.#context.retry,
      );
    const sent = this.#commits.then(send, send);
    this.#commits = sent.catch(() => undefined);
    await sent;
    for (const { key, offset } of offsets) this.#committed.set(key, offset);
  }
}
