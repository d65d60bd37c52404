/**
 * The consumer-group history checker (test/helpers/groupHistory.ts) on
 * hand-made histories: valid ones it passes (a cooperative hand-over; a
 * zombie whose commit lands inside its lease's slack and is accepted, one
 * after it that is fenced; a member that crashed after being told to give a
 * partition up), and one history per kind of violation it catches, each
 * checked for the message that names it.
 */
import { describe, expect, it } from 'vitest';
import {
  checkGroupHistory,
  type CommitEvent,
  type FetchEvent,
  type GroupEvent,
  type GroupHistory,
  type GroupOutcome,
  type HeartbeatEvent,
  type JoinEvent,
  type LeaveEvent,
  type OffsetsEvent,
  type ReleaseEvent,
  type StopEvent,
} from '../helpers/groupHistory.js';
import type { LoggedRecord } from '../helpers/history.js';

const SESSION = 6000;
const T0 = 1_000_000;
const A = 'm-aaaaaaaaaaaaaaaa';
const B = 'm-bbbbbbbbbbbbbbbb';

/** Times are ms after T0; the shared counter follows them (an answer after a send in the same ms). */
function times(client: string, member: string, sent: number, answered: number) {
  return { client, member, sentAt: T0 + sent, answeredAt: T0 + answered, sendSeq: sent * 10, answerSeq: answered * 10 + 5 };
}
const ok = <T>(data: T): GroupOutcome<T> => ({ kind: 'ok', data });
const fenced: GroupOutcome<null> = { kind: 'error', status: 409, code: 'FENCED_MEMBER', retriable: false };

function join(client: string, member: string, sent: number, answered: number, generation: number, partitions: number[]): JoinEvent {
  return { kind: 'join', ...times(client, member, sent, answered), sessionTimeoutMs: SESSION, outcome: ok({ memberId: member, generation, partitions, heartbeatIntervalMs: 2000 }) };
}
function heartbeat(client: string, member: string, sent: number, answered: number, sentGeneration: number, generation: number, partitions: number[]): HeartbeatEvent {
  return { kind: 'heartbeat', ...times(client, member, sent, answered), generation: sentGeneration, outcome: ok({ generation, partitions, rebalancing: false }) };
}
function read(client: string, member: string, sent: number, answered: number, partitions: number[], offsets: Record<number, number>): OffsetsEvent {
  return { kind: 'offsets', ...times(client, member, sent, answered), partitions, outcome: ok({ offsets }) };
}
function fetch(client: string, member: string, sent: number, answered: number, partition: number, offset: number, values: string[]): FetchEvent {
  return {
    kind: 'fetch',
    ...times(client, member, sent, answered),
    partition,
    offset,
    outcome: ok({ records: values.map((value, i) => ({ offset: offset + i, value })), nextOffset: offset + values.length }),
  };
}
function commit(client: string, member: string, sent: number, answered: number, partition: number, offset: number, outcome: GroupOutcome<null> = ok(null)): CommitEvent {
  return { kind: 'commit', ...times(client, member, sent, answered), generation: 1, partition, offset, outcome };
}
function leave(client: string, member: string, sent: number, answered: number): LeaveEvent {
  return { kind: 'leave', ...times(client, member, sent, answered), outcome: ok(null) };
}
function stop(client: string, member: string, at: number, reason: StopEvent['reason']): StopEvent {
  return { kind: 'stop', client, member, at: T0 + at, seq: at * 10 + 7, reason };
}
function release(client: string, member: string, at: number, partition: number): ReleaseEvent {
  return { kind: 'release', client, member, partition, at: T0 + at, seq: at * 10 + 7 };
}
function finalRead(at: number, offsets: Record<number, number>): OffsetsEvent {
  return { kind: 'offsets', ...times('final', '', at, at + 5), partitions: [0], outcome: ok({ offsets }) };
}
const history = (events: GroupEvent[]): GroupHistory => ({ group: 'g', topic: 't', partitions: 1, startedAt: T0, events });
const LOG: LoggedRecord[] = ['v0', 'v1', 'v2', 'v3', 'v4', 'v5'].map((value, offset) => ({ partition: 0, offset, value }));

/**
 * The valid base: A owns partition 0 from its join, processes 0..2 and
 * commits 3; B joins (generation 2 moves 0 to B); A's heartbeat learns it,
 * A stops fetching 0 (release), commits it again and acknowledges with its
 * next heartbeat; B's heartbeat after that gets 0, reads 3, processes 3..5,
 * commits 6 and leaves.
 */
function validHandover(): GroupEvent[] {
  return [
    join('c0', A, 0, 10, 1, [0]),
    read('c0', A, 20, 30, [0], {}),
    fetch('c0', A, 40, 50, 0, 0, ['v0', 'v1', 'v2']),
    commit('c0', A, 60, 70, 0, 3),
    join('c1', B, 100, 110, 2, []),
    heartbeat('c0', A, 2000, 2010, 1, 2, []),
    release('c0', A, 2011, 0),
    commit('c0', A, 2012, 2015, 0, 3),
    heartbeat('c0', A, 2020, 2030, 2, 2, []),
    heartbeat('c1', B, 2100, 2110, 2, 2, [0]),
    read('c1', B, 2120, 2130, [0], { 0: 3 }),
    fetch('c1', B, 2140, 2150, 0, 3, ['v3', 'v4', 'v5']),
    commit('c1', B, 2160, 2170, 0, 6),
    leave('c1', B, 2200, 2210),
    stop('c1', B, 2211, 'left'),
    leave('c0', A, 2300, 2310),
    stop('c0', A, 2311, 'left'),
    finalRead(2400, { 0: 6 }),
  ];
}

describe('checkGroupHistory', () => {
  it('passes a valid history, counting its hand-over and commits', () => {
    const verdict = checkGroupHistory(history(validHandover()), LOG);
    expect(verdict.violations).toEqual([]);
    expect(verdict.ok).toBe(true);
    expect(verdict.summary.handovers).toEqual({ ack: 1, leave: 0, stop: 0, lease: 0, regranted: 0 });
    expect(verdict.summary.intervals).toBe(2);
    expect(verdict.summary.commits).toEqual({ ok: 3 });
    expect(verdict.summary.finalOffsets).toEqual({ 0: 6 });
  });

  it('passes a zombie whose commit is accepted within its lease slack and fenced after it', () => {
    // A's last heartbeat is sent at 2000 and answered at 2040: its lease may last until 8040 for Brook, 8000 as A sees it.
    const events: GroupEvent[] = [
      join('c0', A, 0, 10, 1, [0]),
      read('c0', A, 20, 30, [0], {}),
      fetch('c0', A, 40, 50, 0, 0, ['v0', 'v1']),
      heartbeat('c0', A, 2000, 2040, 1, 1, [0]),
      stop('c0', A, 2100, 'crash'),
      fetch('c0', A, 7900, 7910, 0, 2, ['v2']),
      commit('c0', A, 8020, 8030, 0, 3),
      commit('c0', A, 8050, 8060, 0, 3, fenced),
      stop('c0', A, 9000, 'zombie-end'),
      join('c1', B, 8100, 8110, 2, [0]),
      read('c1', B, 8120, 8130, [0], { 0: 3 }),
      fetch('c1', B, 8140, 8150, 0, 3, ['v3', 'v4', 'v5']),
      commit('c1', B, 8160, 8170, 0, 6),
      leave('c1', B, 8200, 8210),
      finalRead(8300, { 0: 6 }),
    ];
    const verdict = checkGroupHistory(history(events), LOG);
    expect(verdict.violations).toEqual([]);
    expect(verdict.summary.handovers.lease).toBe(1);
  });

  it('passes a member that crashed after being told to give a partition up, which Brook then hands over', () => {
    // A learns at 2010 that 0 moves, crashes at 2015 without acknowledging; Brook hands 0 over once the move is a session old.
    const events: GroupEvent[] = [
      join('c0', A, 0, 10, 1, [0]),
      read('c0', A, 20, 30, [0], {}),
      fetch('c0', A, 40, 50, 0, 0, ['v0', 'v1', 'v2']),
      commit('c0', A, 60, 70, 0, 3),
      join('c1', B, 100, 110, 2, []),
      heartbeat('c0', A, 2000, 2010, 1, 2, []),
      stop('c0', A, 2015, 'crash'),
      heartbeat('c1', B, 2100, 2110, 2, 2, []),
      heartbeat('c1', B, 4100, 4110, 2, 2, []),
      heartbeat('c1', B, 6200, 6210, 2, 2, [0]),
      read('c1', B, 6220, 6230, [0], { 0: 3 }),
      fetch('c1', B, 6240, 6250, 0, 3, ['v3', 'v4', 'v5']),
      commit('c1', B, 6260, 6270, 0, 6),
      leave('c1', B, 6300, 6310),
      finalRead(6400, { 0: 6 }),
    ];
    const verdict = checkGroupHistory(history(events), LOG);
    expect(verdict.violations).toEqual([]);
    expect(verdict.summary.handovers.stop).toBe(1);
  });

  it('catches two owners at once', () => {
    // B is given partition 0 before A acknowledged the move.
    const events = validHandover().map((e) => (e.kind === 'heartbeat' && e.member === B ? heartbeat('c1', B, 2000, 2005, 2, 2, [0]) : e));
    const [violation, ...rest] = checkGroupHistory(history(events), LOG).violations;
    expect(violation).toMatch(/^partition 0: two owners at once: c0\/m-a+ owned 0 from \[.*join.*\] to \[.*heartbeat gen 2 \+2020/);
    expect(violation).toContain('c1/m-bbbbbbbbbbbbbbbb owned 0 from [c1/m-bbbbbbbbbbbbbbbb heartbeat gen 2 +2000..+2005');
    expect(rest.join('\n')).not.toMatch(/two owners/);
  });

  it('catches a commit accepted after the member let the partition go', () => {
    const events = [...validHandover(), commit('c0', A, 2050, 2060, 0, 3)];
    const violations = checkGroupHistory(history(events), LOG).violations;
    expect(violations).toEqual([expect.stringMatching(/^partition 0: a commit was accepted from a member that did not own it: \[c0\/m-a+ commit 0@3 gen 1 \+2050\.\.\+2060 -> ok\]; c0\/m-a+ owned 0 from/)]);
  });

  it('catches a commit accepted while another member consumed the partition', () => {
    // A let 0 go (release) but had not acknowledged; B was given 0 (Brook's timeout on the move) and A's later commit was still accepted.
    const events: GroupEvent[] = [
      join('c0', A, 0, 10, 1, [0]),
      read('c0', A, 20, 30, [0], {}),
      fetch('c0', A, 40, 50, 0, 0, ['v0', 'v1', 'v2']),
      join('c1', B, 100, 110, 2, []),
      heartbeat('c0', A, 2000, 2010, 1, 2, []),
      release('c0', A, 2011, 0),
      heartbeat('c1', B, 2100, 2110, 2, 2, [0]),
      read('c1', B, 2120, 2130, [0], {}),
      commit('c0', A, 2150, 2160, 0, 3),
    ];
    const violations = checkGroupHistory(history(events), LOG).violations;
    expect(violations).toContainEqual(
      expect.stringMatching(/^partition 0: a commit was accepted while another member owned it: \[c0\/m-a+ commit 0@3 .*\]; c1\/m-b+ owned 0 from \[c1\/m-b+ heartbeat gen 2 \+2100/),
    );
  });

  it('catches a zombie commit accepted after its lease ended, beyond the slack', () => {
    const events: GroupEvent[] = [
      join('c0', A, 0, 10, 1, [0]),
      read('c0', A, 20, 30, [0], {}),
      fetch('c0', A, 40, 50, 0, 0, ['v0', 'v1']),
      heartbeat('c0', A, 2000, 2040, 1, 1, [0]),
      stop('c0', A, 2100, 'crash'),
      commit('c0', A, 8040, 8050, 0, 2),
    ];
    const violations = checkGroupHistory(history(events), LOG).violations;
    expect(violations).toEqual([expect.stringMatching(/did not own it: .*commit 0@2.*its lease end at \+8000; Brook may have seen its lease until \+8040$/)]);
  });

  it('catches a lost commit', () => {
    const events = validHandover().map((e) => (e.kind === 'offsets' && e.member === B ? read('c1', B, 2120, 2130, [0], { 0: 1 }) : e));
    const violations = checkGroupHistory(history(events), LOG).violations;
    expect(violations).toContainEqual(expect.stringMatching(/^partition 0: a committed offset was lost: \[c0\/m-a+ commit 0@3 .*\], then \[c1\/m-b+ read offsets for \[0\] .* -> ok 0@1\] found 1$/));
  });

  it('catches a committed offset nobody sent', () => {
    const events = validHandover().map((e) => (e.kind === 'offsets' && e.member === B ? read('c1', B, 2120, 2130, [0], { 0: 4 }) : e));
    const violations = checkGroupHistory(history(events), LOG).violations;
    expect(violations).toContainEqual(expect.stringMatching(/^partition 0: \[c1\/m-b+ read offsets .*\] found 4, above every commit sent before \(highest 3\): \[?c0\/m-a+ commit 0@3/));
  });

  it('catches offsets committed past without an owner processing them', () => {
    // B fetches only 3..4, and the final committed offset is 6 (from a commit the checker sees as beyond too).
    const events = validHandover().map((e) => (e.kind === 'fetch' && e.member === B ? fetch('c1', B, 2140, 2150, 0, 3, ['v3', 'v4']) : e));
    const violations = checkGroupHistory(history(events), LOG).violations;
    expect(violations).toContainEqual(expect.stringMatching(/^partition 0: offsets 5\.\.5 were committed past without an owner processing them: c1\/m-b+ commit 0@6/));
  });

  it('catches a commit beyond what its member processed', () => {
    const events = [...validHandover().filter((e) => e.kind !== 'leave' || e.member !== A), commit('c0', A, 80, 90, 0, 5)];
    const violations = checkGroupHistory(history(events), LOG).violations;
    expect(violations).toContainEqual(expect.stringMatching(/^partition 0: a commit beyond what its member processed \(up to 3\): \[c0\/m-a+ commit 0@5 .*\]; after .*fetch 0@0/));
  });

  it('catches fetched records that disagree with the log', () => {
    const log = LOG.map((r) => (r.offset === 4 ? { ...r, value: 'other' } : r));
    const violations = checkGroupHistory(history(validHandover()), log).violations;
    expect(violations).toEqual([expect.stringMatching(/^partition 0: offset 4 was fetched as "v4" but the log holds "other" there: \[c1\/m-b+ fetch 0@3/)]);
  });

  it('catches a fetch whose offsets are not consecutive', () => {
    const gap: FetchEvent = { ...fetch('c1', B, 2140, 2150, 0, 3, []), outcome: ok({ records: [{ offset: 3, value: 'v3' }, { offset: 5, value: 'v5' }], nextOffset: 6 }) };
    const events = validHandover().map((e) => (e.kind === 'fetch' && e.member === B ? gap : e));
    const violations = checkGroupHistory(history(events), LOG).violations;
    expect(violations).toContainEqual(expect.stringMatching(/^partition 0: a fetch answered offsets \[3,5\] next 6/));
  });
});
