/**
 * Group membership: joins, heartbeats in the background every
 * `heartbeatIntervalMs` (sooner while the group rebalances), whatever the
 * handlers are doing, and follows the assignment each heartbeat answers. A
 * partition that leaves the assignment is marked revoking; the new generation
 * is acknowledged only once the runner has handed those over (`handedOver`),
 * so until then the heartbeats keep the old one. `MEMBER_NOT_FOUND` (the lease
 * expired) marks every partition lost and joins again.
 */
import { BrookError } from '../../protocol/errors.js';
import type { TopicPartitions } from '../../protocol/types.js';
import { segment } from '../http.js';
import { isRetriable, retry } from '../retry.js';
import { isFatal, type ConsumerContext } from './context.js';
import { keysOf } from './partitionKeys.js';

/** This member as the group knows it. */
export interface Member {
  memberId: string;
  /** The generation sent in heartbeats and commits: the last one acknowledged. */
  generation: number;
  /** The newest generation the group answered with. */
  latestGeneration: number;
  heartbeatIntervalMs: number;
}

/** What the membership tells the rest of the consumer. */
export interface MembershipEvents {
  /** A join succeeded: positions from an earlier membership no longer hold. */
  joined(): void;
  /** Partitions started moving away: the runner should stop waiting on its long poll. */
  revoking(): void;
  /** A heartbeat failed in a way no retry fixes. */
  fatal(error: unknown): void;
}

export class Membership {
  readonly #context: ConsumerContext;
  readonly #events: MembershipEvents;
  #member: Member | undefined;
  /** Partitions this member may consume now. */
  #assigned = new Set<string>();
  /** Partitions moving away: still ours until their commit and `onPartitionsRevoked`, then acknowledged. */
  readonly #revoking = new Set<string>();
  /** Partitions lost with the lease, waiting for `onPartitionsLost`. */
  readonly #lost = new Set<string>();
  #heartbeatTimer: NodeJS.Timeout | undefined;
  #heartbeating: Promise<void> | undefined;
  #inHeartbeat = false;
  #heartbeatSoon = false;

  constructor(context: ConsumerContext, events: MembershipEvents) {
    this.#context = context;
    this.#events = events;
  }

  /** This member, while it is one. */
  get member(): Member | undefined {
    return this.#member;
  }

  get assigned(): ReadonlySet<string> {
    return this.#assigned;
  }

  get revoking(): ReadonlySet<string> {
    return this.#revoking;
  }

  /** Every partition still ours: assigned, and moving away. */
  owned(): string[] {
    return [...this.#assigned, ...this.#revoking];
  }

  /** The partitions lost since the last call. */
  takeLost(): string[] {
    const lost = [...this.#lost];
    this.#lost.clear();
    return lost;
  }

  /** Forgets every partition (the consumer stopped). */
  clearAssignment(): void {
    this.#assigned.clear();
    this.#revoking.clear();
  }

  /** Partitions handed over; once none is left moving, acknowledges the new generation at once. */
  handedOver(keys: string[]): void {
    for (const key of keys) this.#revoking.delete(key);
    const member = this.#member;
    if (member && this.#revoking.size === 0 && member.generation !== member.latestGeneration) {
      member.generation = member.latestGeneration;
      this.#heartbeatNow();
    }
  }

  async join(): Promise<void> {
    const { options } = this.#context;
    const body = {
      topics: this.#context.subscription.topics,
      ...(options.sessionTimeoutMs !== undefined ? { sessionTimeoutMs: options.sessionTimeoutMs } : {}),
      ...(options.clientId !== undefined ? { clientId: options.clientId } : {}),
      ...(options.instanceId !== undefined ? { instanceId: options.instanceId } : {}),
    };
    const response = await retry(
      () =>
        this.#context.http.request<Omit<Member, 'latestGeneration'> & { assignment: TopicPartitions[] }>(
          'POST',
          `/v1/groups/${this.#context.group}/members`,
          { json: body },
        ),
      this.#context.retry,
    );
    const { memberId, generation, heartbeatIntervalMs, assignment } = response.body;
    const interval = Math.min(heartbeatIntervalMs, options.heartbeatIntervalMs ?? heartbeatIntervalMs);
    this.#member = { memberId, generation, latestGeneration: generation, heartbeatIntervalMs: interval };
    this.#events.joined();
    this.#assigned = keysOf(assignment);
    this.#scheduleHeartbeat(interval);
  }

  /** Ends the membership: the group moves its partitions at once. */
  async leave(): Promise<void> {
    const member = this.#member;
    if (!member) return;
    this.#member = undefined;
    await this.#context.http.request('DELETE', `/v1/groups/${this.#context.group}/members/${segment(member.memberId)}`).catch(() => undefined);
  }

  /** No further heartbeat (the one in flight goes on: see `heartbeatDone`). */
  stopHeartbeats(): void {
    clearTimeout(this.#heartbeatTimer);
  }

  /** Resolves once the heartbeat in flight, if any, is over. */
  async heartbeatDone(): Promise<void> {
    await this.#heartbeating?.catch(() => undefined);
  }

  #scheduleHeartbeat(delayMs: number): void {
    clearTimeout(this.#heartbeatTimer);
    if (!this.#context.running) return;
    this.#heartbeatTimer = setTimeout(() => {
      this.#heartbeating = this.#heartbeat();
    }, delayMs);
    this.#heartbeatTimer.unref();
  }

  /** Heartbeats at once, or right after the one in flight (to acknowledge a generation without waiting). */
  #heartbeatNow(): void {
    if (this.#inHeartbeat) this.#heartbeatSoon = true;
    else this.#scheduleHeartbeat(0);
  }

  /** One heartbeat; schedules the next. */
  async #heartbeat(): Promise<void> {
    if (!this.#context.running) return;
    const member = this.#member;
    if (!member) {
      // A join after MEMBER_NOT_FOUND failed: keep trying, or the consumer would sit idle for good.
      try {
        await this.join();
      } catch (error) {
        this.#context.report('cannot join the group again', error);
        this.#scheduleHeartbeat(1_000);
      }
      return;
    }
    this.#inHeartbeat = true;
    let nextDelay = member.heartbeatIntervalMs;
    try {
      const response = await this.#context.http.request<{ generation: number; assignment: TopicPartitions[]; rebalancing: boolean }>(
        'POST',
        `/v1/groups/${this.#context.group}/members/${segment(member.memberId)}/heartbeat`,
        { json: { generation: member.generation } },
      );
      const { generation, assignment, rebalancing } = response.body;
      member.latestGeneration = Math.max(member.latestGeneration, generation);
      const next = keysOf(assignment);
      for (const key of this.#assigned) {
        if (!next.has(key)) this.#revoking.add(key);
      }
      for (const key of next) this.#revoking.delete(key);
      this.#assigned = next;
      if (this.#revoking.size > 0) this.#events.revoking(); // the runner hands them over; it acknowledges after
      else member.generation = member.latestGeneration;
      if (member.generation !== generation || rebalancing) nextDelay = Math.min(nextDelay, 200);
    } catch (error) {
      if (error instanceof BrookError && error.code === 'MEMBER_NOT_FOUND' && this.#context.running) {
        for (const key of this.owned()) this.#lost.add(key);
        this.#assigned.clear();
        this.#revoking.clear();
        this.#member = undefined;
        try {
          await this.join();
          this.#inHeartbeat = false;
          return;
        } catch {
          nextDelay = 1_000;
        }
      } else if (isFatal(error)) {
        this.#inHeartbeat = false;
        this.#events.fatal(error);
        return;
      } else if (!isRetriable(error)) {
        this.#context.report('heartbeat failed', error);
      } else {
        nextDelay = Math.min(nextDelay, 500);
      }
    }
    this.#inHeartbeat = false;
    if (this.#heartbeatSoon) {
      this.#heartbeatSoon = false;
      nextDelay = 0;
    }
    this.#scheduleHeartbeat(nextDelay);
  }
}
