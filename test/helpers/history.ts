/**
 * A history checker for the log, in the spirit of Jepsen's: clients record
 * every produce attempt with its outcome (ok with offsets, an error code, or
 * unknown: the answer was lost), then the whole log is read, and the checker
 * proves per partition what Brook promises:
 *
 * - offsets are dense (no hole from the log start to the high watermark);
 * - no record appears that was never sent;
 * - every acknowledged record is in the log at the offset it was acknowledged with;
 * - an idempotent producer's record is in the log at most once, however often it was sent;
 * - a plain producer's record is there more than once only if an attempt to send it
 *   ended without a clear answer (unknown, or a retriable error) and it was sent again.
 *
 * A violation comes with the shortest piece of history that shows it: the
 * attempts of the record involved, and the log entries holding it.
 */

export type Outcome = { kind: 'ok'; offsets: number[] } | { kind: 'error'; code: string; retriable: boolean } | { kind: 'unknown' };

/** One request sent: its records' values (unique per logical record), to one partition. */
export interface ProduceAttempt {
  producer: string;
  idempotent: boolean;
  partition: number;
  values: string[];
  outcome: Outcome;
}

/** A record as the final read of the log found it. */
export interface LoggedRecord {
  partition: number;
  offset: number;
  value: string;
}

export interface Verdict {
  ok: boolean;
  /** Records acknowledged, and records in the log, that were checked. */
  checked: { attempts: number; acknowledged: number; logged: number };
  violations: string[];
}

/** Checks `attempts` against the log as read at the end (`log`, every partition read from its start). */
export function checkProduceHistory(attempts: readonly ProduceAttempt[], log: readonly LoggedRecord[]): Verdict {
  const violations: string[] = [];
  const attemptsOf = new Map<string, ProduceAttempt[]>();
  for (const attempt of attempts) for (const value of attempt.values) (attemptsOf.get(value) ?? attemptsOf.set(value, []).get(value)!).push(attempt);
  const show = (value: string) =>
    `attempts: ${JSON.stringify((attemptsOf.get(value) ?? []).map((a) => ({ producer: a.producer, partition: a.partition, outcome: a.outcome })))}; ` +
    `in the log at: ${JSON.stringify(log.filter((r) => r.value === value).map((r) => [r.partition, r.offset]))}`;

  // Dense offsets per partition.
  const byPartition = new Map<number, LoggedRecord[]>();
  for (const record of log) (byPartition.get(record.partition) ?? byPartition.set(record.partition, []).get(record.partition)!).push(record);
  for (const [partition, records] of byPartition) {
    const offsets = records.map((r) => r.offset).sort((a, b) => a - b);
    offsets.forEach((offset, i) => {
      if (i > 0 && offset !== offsets[i - 1]! + 1) violations.push(`partition ${partition}: offsets jump from ${offsets[i - 1]} to ${offset}`);
    });
  }

  // Every record in the log was sent, and no more often than allowed.
  const copies = new Map<string, LoggedRecord[]>();
  for (const record of log) (copies.get(record.value) ?? copies.set(record.value, []).get(record.value)!).push(record);
  for (const [value, found] of copies) {
    const sent = attemptsOf.get(value);
    if (!sent) {
      violations.push(`a record nobody sent is in the log: ${JSON.stringify(found[0])}`);
      continue;
    }
    if (found.length === 1) continue;
    if (sent[0]!.idempotent) violations.push(`an idempotent producer's record is in the log ${found.length} times: ${show(value)}`);
    else if (!sent.some((a) => a.outcome.kind === 'unknown' || (a.outcome.kind === 'error' && a.outcome.retriable))) {
      violations.push(`a record sent with clear answers is in the log ${found.length} times: ${show(value)}`);
    }
  }

  // Every acknowledged record is where its acknowledgement says.
  let acknowledged = 0;
  for (const attempt of attempts) {
    if (attempt.outcome.kind !== 'ok') continue;
    const { offsets } = attempt.outcome;
    attempt.values.forEach((value, i) => {
      acknowledged++;
      const at = offsets[i];
      if (!(copies.get(value) ?? []).some((r) => r.partition === attempt.partition && r.offset === at)) {
        violations.push(`an acknowledged record is not at its offset ${attempt.partition}/${at}: ${show(value)}`);
      }
    });
  }
  return { ok: violations.length === 0, checked: { attempts: attempts.length, acknowledged, logged: log.length }, violations };
}
