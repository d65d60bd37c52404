/**
 * A history checker for consumer groups, in the spirit of Jepsen's and of
 * test/helpers/history.ts: clients record every group request they send
 * (join, heartbeat, leave, commit, read of the committed offsets, fetch) with
 * its send and answer times and its outcome (ok with what the answer said,
 * an error code, or unknown: the call threw or was given up), plus the
 * moments a client stopped consuming on its own (a crash, a fence, a lease it
 * knows has run out). With the log as read at the end, the checker proves
 * per partition:
 *
 * 1. **No two owners overlap.** A member's ownership interval of a partition
 *    runs from the answer that granted it to the moment the member stopped
 *    consuming it: it sent a heartbeat acknowledging the generation of an
 *    answer that left the partition out, it left, it stopped (crashed after
 *    being told to give the partition up, was fenced, ...), or its lease ran
 *    out as the client sees it (the send time of its last heartbeat answered
 *    ok, or of its join, plus `sessionTimeoutMs`); or earlier, when the
 *    client recorded that it stopped fetching a partition an answer left out
 *    (a `release`). Intervals of different members must not overlap.
 * 2. **Commits are fenced.** A commit answered ok was sent inside one of
 *    that member's intervals of the partition, where a release does not end
 *    the interval (the member may commit what it processed until it
 *    acknowledges) and an interval ended by the lease has the slack defined
 *    at `leaseSlackEnd`; and it was not sent while another member consumed
 *    the partition.
 * 3. **No committed position is skipped or lost.** A read of the committed
 *    offset is at least every commit answered ok before the read was sent,
 *    and at most the highest offset any commit that may have been applied
 *    had sent before the read was answered; every offset below the final
 *    committed offset was fetched by an owner inside its interval (with the
 *    same slack as commits); and no commit goes beyond what its member had
 *    read or fetched.
 * 4. **Fetched records agree with the log**: same value at the same offset,
 *    offsets consecutive from the one asked for.
 *
 * Times: `sentAt`/`answeredAt` are `Date.now()` milliseconds, the clock
 * Brook judges leases by; `sendSeq`/`answerSeq` are one counter shared by
 * all clients of the run (they all run in one process), bumped at every send
 * and answer, so "answered before sent" between any two calls is exact even
 * inside one millisecond. Lease arithmetic uses milliseconds; everything
 * else uses the counter.
 *
 * A violation comes with the shortest piece of history that proves it: the
 * events of the member(s) and partition involved.
 */
import type { LoggedRecord, Verdict } from './history.js';

/** What became of one request. `error` carries the HTTP status too (a 500 is never expected). */
export type GroupOutcome<T> =
  | { kind: 'ok'; data: T }
  | { kind: 'error'; status: number; code: string; retriable: boolean }
  | { kind: 'unknown' };

interface CallTimes {
  /** The client (process) that sent it, e.g. `c1`: it may be several members in turn. */
  client: string;
  /** The member id the request was sent as ('' for a join not answered ok, or the final read). */
  member: string;
  sentAt: number;
  answeredAt: number;
  sendSeq: number;
  answerSeq: number;
  /** The client stopped waiting at its own timeout (the outcome is then `unknown`); the call may still run. */
  gaveUp?: boolean;
  /** For a call given up: when it really ended, if it did before the run was over. */
  settledAt?: number;
}

export interface JoinEvent extends CallTimes {
  kind: 'join';
  sessionTimeoutMs: number;
  outcome: GroupOutcome<{ memberId: string; generation: number; partitions: number[]; heartbeatIntervalMs: number }>;
}

export interface HeartbeatEvent extends CallTimes {
  kind: 'heartbeat';
  /** The generation sent: it acknowledges every move of that generation or before. */
  generation: number;
  outcome: GroupOutcome<{ generation: number; partitions: number[]; rebalancing: boolean }>;
}

export interface LeaveEvent extends CallTimes {
  kind: 'leave';
  outcome: GroupOutcome<null>;
}

export interface CommitEvent extends CallTimes {
  kind: 'commit';
  generation: number;
  partition: number;
  offset: number;
  outcome: GroupOutcome<null>;
}

export interface OffsetsEvent extends CallTimes {
  kind: 'offsets';
  /** The partitions the member starts on from this read (every partition, for the final read). */
  partitions: number[];
  /** `offsets[p]` is the committed offset of p, absent when none was committed. */
  outcome: GroupOutcome<{ offsets: Record<number, number> }>;
}

export interface FetchEvent extends CallTimes {
  kind: 'fetch';
  partition: number;
  offset: number;
  outcome: GroupOutcome<{ records: { offset: number; value: string }[]; nextOffset: number }>;
}

/**
 * The client stopped consuming (fetching) one partition an answer left out.
 * It may still commit it until it acknowledges the move (Brook keeps it the
 * owner until then); recorded so that the owners' intervals are exact.
 */
export interface ReleaseEvent {
  kind: 'release';
  client: string;
  member: string;
  partition: number;
  at: number;
  seq: number;
}

/** A client stopped consuming as this member (it does not send as it again, except a zombie's commits before `zombie-end`). */
export interface StopEvent {
  kind: 'stop';
  client: string;
  member: string;
  at: number;
  seq: number;
  reason: 'crash' | 'zombie-end' | 'fenced' | 'not-found' | 'lease' | 'left' | 'shutdown';
}

export type GroupEvent = JoinEvent | HeartbeatEvent | LeaveEvent | CommitEvent | OffsetsEvent | FetchEvent | ReleaseEvent | StopEvent;

export interface GroupHistory {
  group: string;
  topic: string;
  partitions: number;
  /** `Date.now()` when the run began (messages show times relative to it). */
  startedAt: number;
  events: GroupEvent[];
}

/** A point in the history: exact order by `seq` when both sides have one, else by milliseconds. */
interface Moment {
  ms: number;
  seq?: number;
}

export interface OwnershipInterval {
  member: string;
  client: string;
  partition: number;
  start: Moment;
  grantedBy: JoinEvent | HeartbeatEvent;
  /** Until when Brook may rightly keep the member the owner, so that it may commit (check 2). */
  end: Moment;
  /** What ended it: an acknowledging heartbeat, a leave, a stop, the member's lease, or (same member) a new grant after a release. */
  endedBy: 'ack' | 'leave' | 'stop' | 'lease' | 'regranted';
  endEvent?: GroupEvent;
  /** Until when it consumed (fetched) it: its release, or `end` (checks 1 and 3). */
  consumedUntil: Moment;
  released?: ReleaseEvent;
}

export interface GroupVerdict extends Verdict {
  /** Every ownership interval the checker found, member by member. */
  intervals: OwnershipInterval[];
  /** What the run did: members, ownership intervals, hand-overs by how the previous owner let go, commits by outcome. */
  summary: {
    events: number;
    members: number;
    intervals: number;
    handovers: Record<OwnershipInterval['endedBy'], number>;
    commits: Record<string, number>;
    fetchedRecords: number;
    finalOffsets: Record<number, number>;
  };
}

/** a < b: by the shared counter when both moments have it, else strictly by milliseconds (a tie is not "before"). */
function before(a: Moment, b: Moment): boolean {
  if (a.seq !== undefined && b.seq !== undefined) return a.seq < b.seq;
  return a.ms < b.ms;
}

const sent = (e: CallTimes): Moment => ({ ms: e.sentAt, seq: e.sendSeq });
const stopped = (e: StopEvent | ReleaseEvent): Moment => ({ ms: e.at, seq: e.seq });
const answered = (e: CallTimes): Moment => ({ ms: e.answeredAt, seq: e.answerSeq });
/** A commit that may have been written: ok, unknown, or a retriable error (Brook may fail after the write, e.g. a 503 from its retries). */
const mayHaveApplied = (outcome: GroupOutcome<unknown>) => outcome.kind !== 'error' || outcome.retriable;

/** Checks a group's history against the log as read at the end (every partition from its start). */
export function checkGroupHistory(history: GroupHistory, log: readonly LoggedRecord[]): GroupVerdict {
  const violations: string[] = [];
  const { events, startedAt } = history;
  const show = (event: GroupEvent) => describeEvent(event, startedAt);
  const showAll = (list: readonly GroupEvent[]) => list.map(show).join('; ');

  const calls = events.filter((e): e is Exclude<GroupEvent, StopEvent | ReleaseEvent> => e.kind !== 'stop' && e.kind !== 'release');
  const commits = calls.filter((e): e is CommitEvent => e.kind === 'commit');
  const fetches = calls.filter((e): e is FetchEvent => e.kind === 'fetch');
  const reads = calls.filter((e): e is OffsetsEvent => e.kind === 'offsets');
  const eventsOf = new Map<string, GroupEvent[]>();
  for (const e of events) if (e.member) (eventsOf.get(e.member) ?? eventsOf.set(e.member, []).get(e.member)!).push(e);

  // Ownership intervals, member by member.
  const intervals: OwnershipInterval[] = [];
  const leaseSlackEnds = new Map<string, number>();
  const joins = calls.filter((e): e is JoinEvent => e.kind === 'join' && e.outcome.kind === 'ok');
  for (const join of joins) {
    if (join.outcome.kind !== 'ok') continue;
    const member = join.outcome.data.memberId;
    const own = eventsOf.get(member) ?? [];
    const ownIntervals = ownershipIntervals(join, own);
    intervals.push(...ownIntervals);
    leaseSlackEnds.set(member, leaseSlackEnd(join, own));
  }
  const intervalsOf = (member: string, partition: number) => intervals.filter((i) => i.member === member && i.partition === partition);
  const showInterval = (i: OwnershipInterval) => describeInterval(i, startedAt);

  // 1. No two owners overlap.
  for (let partition = 0; partition < history.partitions; partition++) {
    const list = intervals.filter((i) => i.partition === partition).sort((a, b) => a.start.ms - b.start.ms);
    for (let i = 0; i < list.length; i++) {
      for (let j = i + 1; j < list.length; j++) {
        const a = list[i]!;
        const b = list[j]!;
        if (a.member !== b.member && before(a.start, b.consumedUntil) && before(b.start, a.consumedUntil)) {
          violations.push(`partition ${partition}: two owners at once: ${showInterval(a)}; ${showInterval(b)}`);
        }
      }
    }
  }

  // 2. Commits are fenced.
  for (const commit of commits) {
    if (commit.outcome.kind !== 'ok') continue;
    const inside = intervalsOf(commit.member, commit.partition).some(
      (i) => before(i.start, sent(commit)) && (i.endedBy === 'lease' ? commit.sentAt < leaseSlackEnds.get(commit.member)! : before(sent(commit), i.end)),
    );
    // Sent while another member consumed the partition: Brook had changed the owner before it granted that member the partition.
    const other = intervals.find(
      (i) => i.partition === commit.partition && i.member !== commit.member && before(i.start, sent(commit)) && before(sent(commit), i.consumedUntil),
    );
    if (inside && other) {
      violations.push(`partition ${commit.partition}: a commit was accepted while another member owned it: [${show(commit)}]; ${showInterval(other)}`);
    }
    if (!inside) {
      const own = intervalsOf(commit.member, commit.partition);
      violations.push(
        `partition ${commit.partition}: a commit was accepted from a member that did not own it: [${show(commit)}]; ` +
          (own.length === 0 ? `${commit.client}/${commit.member} never owned it` : own.map(showInterval).join('; ')) +
          (own.some((i) => i.endedBy === 'lease') ? `; Brook may have seen its lease until +${leaseSlackEnds.get(commit.member)! - startedAt}` : ''),
      );
    }
  }

  // 3a. Reads of committed offsets: nothing lost, nothing invented.
  for (const read of reads) {
    if (read.outcome.kind !== 'ok') continue;
    for (const partition of read.partitions) {
      const value = read.outcome.data.offsets[partition] ?? 0;
      const acknowledged = commits.filter((c) => c.partition === partition && c.outcome.kind === 'ok' && before(answered(c), sent(read)));
      const highestAck = acknowledged.reduce<CommitEvent | undefined>((best, c) => (!best || c.offset > best.offset ? c : best), undefined);
      if (highestAck && value < highestAck.offset) {
        violations.push(`partition ${partition}: a committed offset was lost: [${show(highestAck)}], then [${show(read)}] found ${value}`);
      }
      const attempted = commits.filter((c) => c.partition === partition && mayHaveApplied(c.outcome) && before(sent(c), answered(read)));
      const ceiling = Math.max(0, ...attempted.map((c) => c.offset));
      if (value > ceiling) {
        violations.push(
          `partition ${partition}: [${show(read)}] found ${value}, above every commit sent before (highest ${ceiling}): ` +
            showAll(attempted.filter((c) => c.offset === ceiling)),
        );
      }
    }
  }

  // 3b. Every offset below the final committed one was fetched by an owner inside its interval.
  const processedByOwner = new Map<number, Set<number>>();
  let fetchedRecords = 0;
  for (const fetch of fetches) {
    if (fetch.outcome.kind !== 'ok') continue;
    fetchedRecords += fetch.outcome.data.records.length;
    // As for commits (check 2), a fetch of a member whose lease ran out counts up to the end of that lease's slack: Brook may still accept the commit of what it fetched.
    const byOwner = intervalsOf(fetch.member, fetch.partition).some(
      (i) =>
        before(i.start, sent(fetch)) &&
        (i.endedBy === 'lease' && !i.released ? fetch.answeredAt < leaseSlackEnds.get(fetch.member)! : before(answered(fetch), i.consumedUntil)),
    );
    if (!byOwner) continue;
    const set = processedByOwner.get(fetch.partition) ?? processedByOwner.set(fetch.partition, new Set()).get(fetch.partition)!;
    for (const record of fetch.outcome.data.records) set.add(record.offset);
  }
  const finalRead = [...reads].reverse().find((r) => r.outcome.kind === 'ok' && r.partitions.length === history.partitions && r.member === '');
  const finalOffsets: Record<number, number> = {};
  for (let partition = 0; partition < history.partitions; partition++) {
    const final =
      finalRead?.outcome.kind === 'ok'
        ? (finalRead.outcome.data.offsets[partition] ?? 0)
        : Math.max(0, ...commits.filter((c) => c.partition === partition && c.outcome.kind === 'ok').map((c) => c.offset));
    finalOffsets[partition] = final;
    const processed = processedByOwner.get(partition) ?? new Set<number>();
    for (let offset = 0; offset < final; offset++) {
      if (processed.has(offset)) continue;
      let end = offset;
      while (end < final && !processed.has(end)) end++;
      const passing = commits.filter((c) => c.partition === partition && c.outcome.kind === 'ok' && c.offset > offset).slice(0, 3);
      violations.push(`partition ${partition}: offsets ${offset}..${end - 1} were committed past without an owner processing them: ${showAll(passing)}`);
      break;
    }
  }

  // 3c. No commit beyond what its member had read or fetched.
  for (const commit of commits) {
    const known = (eventsOf.get(commit.member) ?? []).filter(
      (e): e is OffsetsEvent | FetchEvent =>
        (e.kind === 'fetch' || e.kind === 'offsets') &&
        (e.kind === 'fetch' ? e.partition === commit.partition : e.partitions.includes(commit.partition)) &&
        e.outcome.kind === 'ok' &&
        before(answered(e), sent(commit)),
    );
    const reached = Math.max(
      -1,
      ...known.map((e) =>
        e.kind === 'fetch' && e.outcome.kind === 'ok'
          ? e.outcome.data.nextOffset
          : e.kind === 'offsets' && e.outcome.kind === 'ok'
            ? (e.outcome.data.offsets[commit.partition] ?? 0)
            : -1,
      ),
    );
    if (commit.offset > reached) {
      violations.push(
        `partition ${commit.partition}: a commit beyond what its member processed (${reached < 0 ? 'nothing' : `up to ${reached}`}): [${show(commit)}]` +
          (known.length ? `; after ${showAll(known.slice(-2))}` : ''),
      );
    }
  }

  // 4. Fetched records agree with the log.
  const logged = new Map<string, string>();
  for (const record of log) logged.set(`${record.partition}/${record.offset}`, record.value);
  for (const fetch of fetches) {
    if (fetch.outcome.kind !== 'ok') continue;
    const { records, nextOffset } = fetch.outcome.data;
    const expectedNext = records.length ? records[records.length - 1]!.offset + 1 : fetch.offset;
    if (records.some((r, i) => r.offset !== fetch.offset + i) || nextOffset !== expectedNext) {
      violations.push(`partition ${fetch.partition}: a fetch answered offsets ${JSON.stringify(records.map((r) => r.offset))} next ${nextOffset}: [${show(fetch)}]`);
    }
    for (const record of records) {
      const value = logged.get(`${fetch.partition}/${record.offset}`);
      if (value !== record.value) {
        violations.push(
          `partition ${fetch.partition}: offset ${record.offset} was fetched as ${JSON.stringify(record.value)} but the log holds ${value === undefined ? 'nothing' : JSON.stringify(value)} there: [${show(fetch)}]`,
        );
      }
    }
  }

  // Hand-overs: an interval following another member's on the same partition, by how that one ended.
  const handovers: GroupVerdict['summary']['handovers'] = { ack: 0, leave: 0, stop: 0, lease: 0, regranted: 0 };
  for (let partition = 0; partition < history.partitions; partition++) {
    const list = intervals.filter((i) => i.partition === partition).sort((a, b) => a.start.ms - b.start.ms);
    list.forEach((interval, i) => {
      const previous = list[i - 1];
      if (previous && previous.member !== interval.member) handovers[previous.endedBy]++;
    });
  }
  const commitCounts: Record<string, number> = {};
  for (const commit of commits) {
    const key = commit.outcome.kind === 'error' ? commit.outcome.code : commit.outcome.kind;
    commitCounts[key] = (commitCounts[key] ?? 0) + 1;
  }
  return {
    ok: violations.length === 0,
    checked: { attempts: calls.length, acknowledged: commits.filter((c) => c.outcome.kind === 'ok').length, logged: log.length },
    violations,
    intervals,
    summary: { events: events.length, members: joins.length, intervals: intervals.length, handovers, commits: commitCounts, fetchedRecords, finalOffsets },
  };
}

/**
 * When the member stops consuming because of its lease, as the client sees it:
 * the join's send time plus the session timeout, pushed to each heartbeat's
 * send time plus the session timeout by every heartbeat answered ok before
 * the lease so far had run out (an answer that comes later finds the client
 * already gone: it has stopped and must join again).
 */
export function clientLeaseEnd(join: JoinEvent, own: readonly GroupEvent[]): number {
  let leaseEnd = join.sentAt + join.sessionTimeoutMs;
  if (join.answeredAt >= leaseEnd) return leaseEnd;
  const renewals = own.filter((e): e is HeartbeatEvent => e.kind === 'heartbeat' && e.outcome.kind === 'ok').sort((a, b) => a.sendSeq - b.sendSeq);
  for (const heartbeat of renewals) {
    if (heartbeat.sentAt >= leaseEnd || heartbeat.answeredAt >= leaseEnd) break;
    leaseEnd = Math.max(leaseEnd, heartbeat.sentAt + join.sessionTimeoutMs);
  }
  return leaseEnd;
}

/**
 * The slack of fence check 2 for an interval that ended with the member's
 * lease: the latest moment Brook may still have held that lease live. Brook
 * sets `expiresAt = now + sessionTimeoutMs` with `now` its own clock while it
 * handles the join or heartbeat, some time between the request's send and its
 * answer; and it accepts a commit only while the committer's lease is live
 * when the commit is handled, which is after the commit was sent. So a
 * commit sent at or after (answer time of any renewal that may have been
 * written) + sessionTimeoutMs cannot rightly be accepted, and one sent before
 * can: the slack is exactly the renewal's round trip. Any heartbeat may have
 * renewed except one refused outright (a non-retriable error such as
 * MEMBER_NOT_FOUND); a call the client gave up on counts until it really
 * ended, and without bound if it never did. Intervals ended by the client
 * itself (an acknowledging heartbeat, a leave, a stop) have no slack: a
 * careful client sends no commit after them, so an accepted one is the
 * client's fault or Brook's, and is reported either way.
 */
export function leaseSlackEnd(join: JoinEvent, own: readonly GroupEvent[]): number {
  const renewals = [join, ...own.filter((e): e is HeartbeatEvent => e.kind === 'heartbeat' && mayHaveApplied(e.outcome))];
  return Math.max(
    ...renewals.map((r) => (r.gaveUp ? (r.settledAt ?? Number.POSITIVE_INFINITY) : r.answeredAt) + join.sessionTimeoutMs),
  );
}

/** The intervals in which one member owned each partition (see the file's doc comment, 1). */
export function ownershipIntervals(join: JoinEvent, own: readonly GroupEvent[]): OwnershipInterval[] {
  if (join.outcome.kind !== 'ok') return [];
  const member = join.outcome.data.memberId;
  const leaseEnd = clientLeaseEnd(join, own);
  // The end of the member's life as a consumer: the first of its leave's send, its stop, its lease end.
  const leave = own.find((e): e is LeaveEvent => e.kind === 'leave');
  const stop = own.find((e): e is StopEvent => e.kind === 'stop' && e.reason !== 'crash');
  const crash = own.find((e): e is StopEvent => e.kind === 'stop' && e.reason === 'crash');
  let lifeEnd: { end: Moment; endedBy: OwnershipInterval['endedBy']; endEvent?: GroupEvent } = { end: { ms: leaseEnd }, endedBy: 'lease' };
  if (leave && !before(lifeEnd.end, sent(leave))) lifeEnd = { end: sent(leave), endedBy: 'leave', endEvent: leave };
  if (stop && before(stopped(stop), lifeEnd.end)) lifeEnd = { end: stopped(stop), endedBy: 'stop', endEvent: stop };

  // Answers that assign (join, heartbeats ok), heartbeat sends (which acknowledge), releases and a crash, in the order they happened.
  type Step = { at: Moment; answer?: JoinEvent | HeartbeatEvent; send?: HeartbeatEvent; release?: ReleaseEvent; crash?: StopEvent };
  const steps: Step[] = [{ at: answered(join), answer: join }];
  for (const e of own) {
    if (e.kind === 'release') steps.push({ at: stopped(e), release: e });
    if (e.kind !== 'heartbeat') continue;
    steps.push({ at: sent(e), send: e });
    if (e.outcome.kind === 'ok') steps.push({ at: answered(e), answer: e });
  }
  if (crash) steps.push({ at: stopped(crash), crash });
  steps.sort((a, b) => a.at.seq! - b.at.seq!);

  const result: OwnershipInterval[] = [];
  type Open = { start: Moment; grantedBy: JoinEvent | HeartbeatEvent; releaseGeneration?: number; released?: ReleaseEvent };
  const open = new Map<number, Open>();
  const close = (partition: number, end: Moment, endedBy: OwnershipInterval['endedBy'], endEvent?: GroupEvent) => {
    const o = open.get(partition)!;
    const consumedUntil = o.released && before(stopped(o.released), end) ? stopped(o.released) : end;
    result.push({
      member,
      client: join.client,
      partition,
      start: o.start,
      grantedBy: o.grantedBy,
      end,
      endedBy,
      ...(endEvent ? { endEvent } : {}),
      consumedUntil,
      ...(o.released ? { released: o.released } : {}),
    });
    open.delete(partition);
  };
  for (const step of steps) {
    if (!before(step.at, lifeEnd.end)) break;
    if (step.send) {
      for (const [partition, o] of [...open]) {
        if (o.releaseGeneration !== undefined && step.send.generation >= o.releaseGeneration) close(partition, step.at, 'ack', step.send);
      }
    } else if (step.release) {
      const o = open.get(step.release.partition);
      if (o && !o.released) o.released = step.release;
    } else if (step.crash) {
      // Told to give these up and never acknowledged: the member stopped consuming them by its crash at the latest.
      for (const [partition, o] of [...open]) if (o.releaseGeneration !== undefined) close(partition, step.at, 'stop', step.crash);
    } else {
      const answer = step.answer!;
      if (answer.outcome.kind !== 'ok') continue;
      const { generation, partitions } = answer.outcome.data;
      for (const partition of partitions) {
        const o = open.get(partition);
        if (!o) open.set(partition, { start: step.at, grantedBy: answer });
        else if (o.released) {
          // Given back after the member had let it go: it starts on it again from here.
          close(partition, step.at, 'regranted', answer);
          open.set(partition, { start: step.at, grantedBy: answer });
        } else delete o.releaseGeneration; // given back before it was let go: the member consumes on
      }
      for (const [partition, o] of open) if (!partitions.includes(partition) && o.releaseGeneration === undefined) o.releaseGeneration = generation;
    }
  }
  for (const partition of [...open.keys()]) close(partition, lifeEnd.end, lifeEnd.endedBy, lifeEnd.endEvent);
  return result;
}

/** One ownership interval: who, which partition, the answer that granted it and what ended it. */
export function describeInterval(i: OwnershipInterval, startedAt: number): string {
  const end = i.endedBy === 'lease' ? `its lease end at +${i.end.ms - startedAt}` : `[${describeEvent(i.endEvent!, startedAt)}]`;
  const released = i.released ? ` (released at +${i.released.at - startedAt})` : '';
  return `${i.client}/${i.member} owned ${i.partition} from [${describeEvent(i.grantedBy, startedAt)}] to ${end}${released}`;
}

/** One event, short: who, what, when (ms after the run began), and the outcome. */
export function describeEvent(event: GroupEvent, startedAt: number): string {
  if (event.kind === 'stop') return `${event.client}/${event.member} stop (${event.reason}) at +${event.at - startedAt}`;
  if (event.kind === 'release') return `${event.client}/${event.member} release ${event.partition} at +${event.at - startedAt}`;
  const who = `${event.client}/${event.member || '?'}`;
  const when = `+${event.sentAt - startedAt}..+${event.answeredAt - startedAt}${event.gaveUp ? ` (gave up; ended ${event.settledAt === undefined ? 'never' : `+${event.settledAt - startedAt}`})` : ''}`;
  const what =
    event.kind === 'join'
      ? 'join'
      : event.kind === 'heartbeat'
        ? `heartbeat gen ${event.generation}`
        : event.kind === 'leave'
          ? 'leave'
          : event.kind === 'commit'
            ? `commit ${event.partition}@${event.offset} gen ${event.generation}`
            : event.kind === 'offsets'
              ? `read offsets for [${event.partitions.join(',')}]`
              : `fetch ${event.partition}@${event.offset}`;
  const outcome = event.outcome;
  let result: string;
  if (outcome.kind === 'unknown') result = 'unknown';
  else if (outcome.kind === 'error') result = `${outcome.status} ${outcome.code}`;
  else if (event.kind === 'join' || event.kind === 'heartbeat') {
    const data = outcome.data as { generation: number; partitions: number[]; rebalancing?: boolean };
    result = `ok gen ${data.generation} [${data.partitions.join(',')}]${data.rebalancing ? ' rebalancing' : ''}`;
  } else if (event.kind === 'offsets') {
    const data = outcome.data as { offsets: Record<number, number> };
    result = `ok ${event.partitions.map((p) => `${p}@${data.offsets[p] ?? 'none'}`).join(',')}`;
  } else if (event.kind === 'fetch') {
    const data = outcome.data as { records: unknown[]; nextOffset: number };
    result = `ok ${data.records.length} records, next ${data.nextOffset}`;
  } else result = 'ok';
  return `${who} ${what} ${when} -> ${result}`;
}
