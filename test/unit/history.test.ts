import { describe, expect, it } from 'vitest';
import { checkProduceHistory, type LoggedRecord, type ProduceAttempt } from '../helpers/history.js';

const ok = (offsets: number[]) => ({ kind: 'ok', offsets }) as const;
const unknown = { kind: 'unknown' } as const;
const attempt = (values: string[], outcome: ProduceAttempt['outcome'], idempotent = false): ProduceAttempt => ({ producer: 'p', idempotent, partition: 0, values, outcome });
const logged = (...values: string[]): LoggedRecord[] => values.map((value, offset) => ({ partition: 0, offset, value }));

describe('checkProduceHistory', () => {
  it('accepts a history whose acknowledged records are where their answers say', () => {
    const verdict = checkProduceHistory([attempt(['a', 'b'], ok([0, 1])), attempt(['c'], ok([2]))], logged('a', 'b', 'c'));
    expect(verdict).toMatchObject({ ok: true, checked: { attempts: 2, acknowledged: 3, logged: 3 } });
  });

  it('accepts a plain producer\'s duplicate after a lost answer, and an unacknowledged record that did land', () => {
    const history = [attempt(['a'], unknown), attempt(['a'], ok([1])), attempt(['b'], unknown)];
    expect(checkProduceHistory(history, logged('a', 'a', 'b')).violations).toEqual([]);
  });

  it('finds an acknowledged record missing from the log, or at another offset', () => {
    expect(checkProduceHistory([attempt(['a'], ok([0]))], []).violations).toEqual([expect.stringContaining('not at its offset 0/0')]);
    expect(checkProduceHistory([attempt(['a', 'b'], ok([0, 1]))], logged('b', 'a')).violations).toHaveLength(2);
  });

  it('finds an idempotent producer\'s record twice, even after lost answers', () => {
    const history = [attempt(['a'], unknown, true), attempt(['a'], ok([0]), true)];
    expect(checkProduceHistory(history, logged('a', 'a')).violations).toEqual([expect.stringContaining('idempotent producer\'s record is in the log 2 times')]);
  });

  it('finds a plain record twice when every answer was clear', () => {
    expect(checkProduceHistory([attempt(['a'], ok([0]))], logged('a', 'a')).violations).toEqual([expect.stringContaining('sent with clear answers')]);
  });

  it('finds a record nobody sent, and a hole in the offsets', () => {
    expect(checkProduceHistory([], logged('x')).violations).toEqual([expect.stringContaining('nobody sent')]);
    const holed: LoggedRecord[] = [{ partition: 0, offset: 0, value: 'a' }, { partition: 0, offset: 2, value: 'b' }];
    expect(checkProduceHistory([attempt(['a'], unknown), attempt(['b'], unknown)], holed).violations).toEqual(['partition 0: offsets jump from 0 to 2']);
  });
});
