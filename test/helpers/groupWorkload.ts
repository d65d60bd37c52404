/**
 * A consumer group at work, recorded for test/helpers/groupHistory.ts:
 * `runGroupWorkload` runs a few members (three by default) of one group over
 * one topic through a `call` that reaches Brook's HTTP API (the in-process
 * handlers, or anything else answering the same contract), for `durationMs`,
 * and returns every request it sent with its times and outcome.
 *
 * Each member behaves as a careful client of docs/http.md ("Consumer
 * groups") would: it joins with a 6 s session, heartbeats every
 * `heartbeatIntervalMs` (soon again while `rebalancing`), and for every
 * partition it may consume reads the committed offset when it starts on it,
 * fetches from there, and commits what it processed. When an answer leaves a
 * partition out, it stops fetching it at once (recorded as a `release`) and
 * commits it before its next heartbeat (which acknowledges the move). It stops consuming as soon as its lease may have
 * run out (last heartbeat answered ok: its send time plus the session), and
 * joins again as a new member after that, after `MEMBER_NOT_FOUND` or after
 * a commit refused with `FENCED_MEMBER`. Retriable errors and unknown
 * outcomes are retried after a short backoff; a call that takes longer than
 * `CALL_TIMEOUT_MS` is given up (outcome unknown), but a member never has
 * two commits of one partition in flight.
 *
 * Along the run, chosen by the seeded random: one member leaves and joins
 * again a little later (a hand-over on leave), and another crashes: it stops
 * heartbeating but goes on fetching and committing as a zombie until a while
 * after its lease has run out (those commits must be fenced), then joins
 * again as a new member (a hand-over on expiry). At the end every member
 * commits and leaves, and a last read of the committed offsets is recorded
 * (client `final`).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ApiRequest, ApiResponse } from './apiEvent.js';
import type {
  CommitEvent,
  FetchEvent,
  GroupEvent,
  GroupHistory,
  GroupOutcome,
  HeartbeatEvent,
  JoinEvent,
  LeaveEvent,
  OffsetsEvent,
  ReleaseEvent,
  StopEvent,
} from './groupHistory.js';
import { seededRandom } from './random.js';

export interface GroupWorkloadOptions {
  call: (request: ApiRequest) => Promise<ApiResponse>;
  group: string;
  topic: string;
  partitions: number;
  /** @default 3 */
  members?: number;
  durationMs: number;
  seed?: number;
}

export const SESSION_TIMEOUT_MS = 6_000;
/** A call not answered within this is given up: its outcome is unknown. */
export const CALL_TIMEOUT_MS = 3_000;
const FETCH_MAX_RECORDS = 25;
const FETCH_WAIT_MS = 50;
/** A member commits a partition's progress at most this often (and always before it lets the partition go). */
const COMMIT_EVERY_MS = 250;
/** While `rebalancing`, the next heartbeat goes this soon. */
const REBALANCE_HEARTBEAT_MS = 150;
/** How long a zombie goes on past its lease before it dies for good. */
const ZOMBIE_AFTER_LEASE_MS = 1_500;

type CallEvent = Exclude<GroupEvent, StopEvent | ReleaseEvent>;

/** What a client knows of one partition it consumes. */
interface PartitionState {
  /** Where it fetches next; undefined until the committed offset has been read. */
  position?: number;
  /** The last offset committed (read or acknowledged). */
  committed?: number;
  lastCommitAt: number;
  /** A commit given up at the timeout that may still be running: no other commit of the partition until it ends. */
  hungCommit?: Promise<unknown>;
}

interface Membership {
  memberId: string;
  generation: number;
  heartbeatIntervalMs: number;
  /** As the client sees it: the last renewal answered ok, its send time plus the session. */
  leaseEnd: number;
  lastHeartbeatSentAt: number;
  rebalancing: boolean;
  owned: Map<number, PartitionState>;
}

/** Runs the group for `durationMs`, then every member leaves; the history of all of it. */
export async function runGroupWorkload(options: GroupWorkloadOptions): Promise<GroupHistory> {
  const { call, group, topic, partitions, durationMs } = options;
  const random = seededRandom(options.seed ?? 1);
  const memberCount = options.members ?? 3;
  const startedAt = Date.now();
  const deadline = startedAt + durationMs;
  const events: GroupEvent[] = [];
  const pending = new Set<Promise<unknown>>();
  let seq = 0;

  /** Sends one request and records it; `okData` turns a 2xx answer into the outcome's data. */
  async function send<E extends CallEvent>(
    request: ApiRequest,
    base: Omit<E, 'sentAt' | 'answeredAt' | 'sendSeq' | 'answerSeq' | 'outcome'>,
    okData: (response: ApiResponse) => E['outcome'] extends GroupOutcome<infer T> ? T : never,
  ): Promise<{ event: E; response?: ApiResponse; settled: Promise<unknown> }> {
    const sendSeq = ++seq;
    const sentAt = Date.now();
    const running = call(request);
    const settled = running.then(
      () => undefined,
      () => undefined,
    );
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), CALL_TIMEOUT_MS)));
    let response: ApiResponse | undefined;
    let gaveUp = false;
    try {
      const first = await Promise.race([running, timeout]);
      if (first === 'timeout') gaveUp = true;
      else response = first;
    } catch {
      // Threw: nothing is known of what happened.
    } finally {
      clearTimeout(timer);
    }
    const answeredAt = Date.now();
    let outcome: GroupOutcome<unknown>;
    if (!response) outcome = { kind: 'unknown' };
    else if (response.status >= 200 && response.status < 300) outcome = { kind: 'ok', data: okData(response) };
    else if (response.body?.error) outcome = { kind: 'error', status: response.status, code: response.body.error.code, retriable: response.body.error.retriable };
    else outcome = { kind: 'unknown' };
    const event = { ...base, sentAt, answeredAt, sendSeq, answerSeq: ++seq, outcome, ...(gaveUp ? { gaveUp } : {}) } as unknown as E;
    events.push(event);
    if (gaveUp) {
      const late = settled.then(() => {
        event.settledAt = Date.now();
      });
      pending.add(late);
      void late.then(() => pending.delete(late));
    }
    return { event, ...(response ? { response } : {}), settled };
  }

  function stop(client: string, member: string, reason: StopEvent['reason']): void {
    events.push({ kind: 'stop', client, member, at: Date.now(), seq: ++seq, reason });
  }

  // The disruptions: who leaves (and when it comes back), who crashes.
  const leaver = Math.floor(random() * memberCount);
  const crasher = memberCount > 1 ? (leaver + 1 + Math.floor(random() * (memberCount - 1))) % memberCount : -1;
  const leaveAt = startedAt + durationMs * (0.3 + 0.15 * random());
  const rejoinAfterLeaveMs = 800 + 700 * random();
  const crashAt = startedAt + durationMs * (0.1 + 0.08 * random());

  async function runClient(index: number): Promise<void> {
    const client = `c${index}`;
    let membership: Membership | undefined;
    let zombieUntil: number | undefined;
    let notBefore = startedAt + 40 * index;
    let left = false;
    let crashed = false;
    let turn = 0;

    const backoff = () => sleep(20 + Math.floor(random() * 60));

    async function join(): Promise<void> {
      const { event } = await send<JoinEvent>(
        { method: 'POST', path: `/v1/groups/${group}/members`, body: { topics: [topic], sessionTimeoutMs: SESSION_TIMEOUT_MS, clientId: client } },
        { kind: 'join', client, member: '', sessionTimeoutMs: SESSION_TIMEOUT_MS },
        (r) => ({
          memberId: r.body.memberId,
          generation: r.body.generation,
          partitions: partitionsOf(r.body.assignment, topic),
          heartbeatIntervalMs: r.body.heartbeatIntervalMs,
        }),
      );
      if (event.outcome.kind !== 'ok') return backoff();
      const data = event.outcome.data;
      event.member = data.memberId;
      membership = {
        memberId: data.memberId,
        generation: data.generation,
        heartbeatIntervalMs: data.heartbeatIntervalMs,
        leaseEnd: event.sentAt + SESSION_TIMEOUT_MS,
        lastHeartbeatSentAt: event.sentAt,
        rebalancing: false,
        owned: new Map(),
      };
      if (event.answeredAt >= membership.leaseEnd) return drop('lease');
      for (const partition of data.partitions) membership.owned.set(partition, { lastCommitAt: Date.now() });
    }

    /** Stops consuming as the current member, for good. */
    function drop(reason: StopEvent['reason']): void {
      if (!membership) return;
      stop(client, membership.memberId, reason);
      membership = undefined;
      zombieUntil = undefined;
    }

    async function heartbeat(m: Membership): Promise<void> {
      const { event } = await send<HeartbeatEvent>(
        { method: 'POST', path: `/v1/groups/${group}/members/${m.memberId}/heartbeat`, body: { generation: m.generation } },
        { kind: 'heartbeat', client, member: m.memberId, generation: m.generation },
        (r) => ({ generation: r.body.generation, partitions: partitionsOf(r.body.assignment, topic), rebalancing: r.body.rebalancing }),
      );
      m.lastHeartbeatSentAt = event.sentAt;
      const outcome = event.outcome;
      if (outcome.kind === 'error' && !outcome.retriable) return drop(outcome.code === 'MEMBER_NOT_FOUND' ? 'not-found' : 'fenced');
      if (outcome.kind !== 'ok') return backoff();
      if (event.answeredAt >= m.leaseEnd) return drop('lease');
      m.leaseEnd = Math.max(m.leaseEnd, event.sentAt + SESSION_TIMEOUT_MS);
      const { generation, partitions: assigned, rebalancing } = outcome.data;
      // Partitions left out: stop fetching them now, commit what was processed, all before the next heartbeat acknowledges the move.
      const released = [...m.owned].filter(([partition]) => !assigned.includes(partition));
      for (const [partition] of released) {
        m.owned.delete(partition);
        events.push({ kind: 'release', client, member: m.memberId, partition, at: Date.now(), seq: ++seq });
      }
      for (const [partition, state] of released) {
        await commitProgress(m, partition, state, 3);
        if (membership !== m) return;
      }
      for (const partition of assigned) if (!m.owned.has(partition)) m.owned.set(partition, { lastCommitAt: Date.now() });
      m.generation = generation;
      m.rebalancing = rebalancing;
    }

    async function readOffsets(m: Membership, starting: number[]): Promise<void> {
      const { event } = await send<OffsetsEvent>(
        { method: 'GET', path: `/v1/groups/${group}/offsets` },
        { kind: 'offsets', client, member: m.memberId, partitions: starting },
        (r) => ({ offsets: offsetsOf(r.body.offsets, topic) }),
      );
      if (event.outcome.kind !== 'ok') return backoff();
      for (const partition of starting) {
        const state = m.owned.get(partition);
        if (!state) continue;
        state.position = event.outcome.data.offsets[partition] ?? 0;
        state.committed = state.position;
      }
    }

    async function fetch(m: Membership, partition: number, state: PartitionState): Promise<void> {
      const from = state.position!;
      const { event } = await send<FetchEvent>(
        {
          method: 'GET',
          path: `/v1/topics/${topic}/partitions/${partition}/records`,
          query: { offset: String(from), maxRecords: String(FETCH_MAX_RECORDS), waitMs: String(FETCH_WAIT_MS) },
        },
        { kind: 'fetch', client, member: m.memberId, partition, offset: from },
        (r) => ({ records: (r.body.records as { offset: number; value: string }[]).map(({ offset, value }) => ({ offset, value })), nextOffset: r.body.nextOffset }),
      );
      if (event.outcome.kind !== 'ok') return backoff();
      // Processed once fetched; a partition dropped meanwhile keeps no position.
      if (m.owned.get(partition) === state) state.position = event.outcome.data.nextOffset;
    }

    /** Commits the partition's position if it moved on, with up to `attempts` tries on retriable or unknown outcomes; FENCED_MEMBER makes a member (not a zombie) stop. */
    async function commitProgress(m: Membership, partition: number, state: PartitionState, attempts: number): Promise<void> {
      for (let attempt = 1; attempt <= attempts; attempt++) {
        if (state.position === undefined || state.position === state.committed) return;
        if (state.hungCommit) return; // one commit of a partition in flight at a time
        if (!zombieUntil && Date.now() >= m.leaseEnd) return;
        const offset = state.position;
        state.lastCommitAt = Date.now();
        const { event, settled } = await send<CommitEvent>(
          { method: 'POST', path: `/v1/groups/${group}/offsets`, body: { memberId: m.memberId, generation: m.generation, offsets: [{ topic, partition, offset }] } },
          { kind: 'commit', client, member: m.memberId, generation: m.generation, partition, offset },
          () => null,
        );
        const outcome = event.outcome;
        if (event.gaveUp) {
          state.hungCommit = settled;
          void settled.then(() => (state.hungCommit = undefined));
        }
        if (outcome.kind === 'ok') {
          state.committed = offset;
          return;
        }
        if (outcome.kind === 'error' && !outcome.retriable) {
          // A zombie goes on regardless (that is what makes it one); anyone else stops and joins again.
          if (outcome.code === 'FENCED_MEMBER' && !zombieUntil) drop('fenced');
          return;
        }
        await backoff();
        if (membership !== m) return;
      }
    }

    async function leave(m: Membership): Promise<void> {
      for (const [partition, state] of m.owned) await commitProgress(m, partition, state, 3);
      for (let attempt = 1; attempt <= 4; attempt++) {
        const { event } = await send<LeaveEvent>(
          { method: 'DELETE', path: `/v1/groups/${group}/members/${m.memberId}` },
          { kind: 'leave', client, member: m.memberId },
          () => null,
        );
        if (event.outcome.kind === 'ok' || (event.outcome.kind === 'error' && !event.outcome.retriable)) break;
        await backoff();
      }
      drop('left');
    }

    while (Date.now() < deadline) {
      if (Date.now() < notBefore) {
        await sleep(Math.min(notBefore, deadline) - Date.now());
        continue;
      }
      if (!membership) {
        await join();
        continue;
      }
      const m = membership;
      const now = Date.now();
      if (zombieUntil !== undefined) {
        if (now >= zombieUntil) {
          drop('zombie-end');
          notBefore = Date.now() + 300;
          continue;
        }
      } else {
        if (now >= m.leaseEnd) {
          drop('lease');
          continue;
        }
        // Each disruption waits for its member to be consuming something (so a partition changes hands), but not for ever.
        const consuming = [...m.owned.values()].some((state) => state.position !== undefined);
        if (index === crasher && !crashed && now >= crashAt && (consuming || now >= crashAt + durationMs * 0.2)) {
          crashed = true;
          stop(client, m.memberId, 'crash');
          zombieUntil = m.leaseEnd + ZOMBIE_AFTER_LEASE_MS;
          continue;
        }
        if (index === leaver && !left && now >= leaveAt && (consuming || now >= leaveAt + durationMs * 0.2)) {
          left = true;
          await leave(m);
          notBefore = Date.now() + rejoinAfterLeaveMs;
          continue;
        }
        if (now >= m.lastHeartbeatSentAt + (m.rebalancing ? REBALANCE_HEARTBEAT_MS : m.heartbeatIntervalMs)) {
          await heartbeat(m);
          continue;
        }
      }
      // One step of work on one partition, round robin.
      const owned = [...m.owned.keys()].sort((a, b) => a - b);
      if (owned.length === 0) {
        await sleep(40);
        continue;
      }
      const starting = owned.filter((p) => m.owned.get(p)!.position === undefined);
      if (starting.length > 0) {
        await readOffsets(m, starting);
        continue;
      }
      const partition = owned[turn++ % owned.length]!;
      const state = m.owned.get(partition)!;
      if (state.position !== state.committed && Date.now() - state.lastCommitAt >= COMMIT_EVERY_MS) await commitProgress(m, partition, state, 1);
      else await fetch(m, partition, state);
    }
    if (membership && zombieUntil === undefined) await leave(membership);
    else if (membership) drop('zombie-end');
  }

  await Promise.all(Array.from({ length: memberCount }, (_, i) => runClient(i)));
  // Calls given up on: wait a while for them to end, so the checker knows when they did.
  await Promise.race([Promise.all([...pending]), sleep(5_000)]);
  await send<OffsetsEvent>(
    { method: 'GET', path: `/v1/groups/${group}/offsets` },
    { kind: 'offsets', client: 'final', member: '', partitions: Array.from({ length: partitions }, (_, p) => p) },
    (r) => ({ offsets: offsetsOf(r.body.offsets, topic) }),
  );
  return { group, topic, partitions, startedAt, events };
}

function partitionsOf(assignment: { topic: string; partitions: number[] }[] | undefined, topic: string): number[] {
  return [...(assignment ?? []).filter((a) => a.topic === topic).flatMap((a) => a.partitions)].sort((a, b) => a - b);
}

function offsetsOf(offsets: { topic: string; partition: number; offset: number }[] | undefined, topic: string): Record<number, number> {
  const result: Record<number, number> = {};
  for (const entry of offsets ?? []) if (entry.topic === topic) result[entry.partition] = entry.offset;
  return result;
}
