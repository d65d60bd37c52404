import { afterEach, describe, expect, it, vi } from 'vitest';
import { conflictBackoff, lostRaceWait } from '../../functions/storage/conflicts.js';

/** How long `wait` takes on fake timers, with Math.random() at its bound (1, which it never quite reaches). */
async function longestWait(wait: () => Promise<void>): Promise<number> {
  vi.spyOn(Math, 'random').mockReturnValue(1);
  let done = false;
  void wait().then(() => (done = true));
  let elapsed = 0;
  while (!done) {
    await vi.advanceTimersByTimeAsync(1);
    elapsed++;
  }
  return elapsed;
}

describe('waits between tries of a contended write', () => {
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it('after a race another writer won: shorter the more races were lost, at most 5 ms once many were lost', async () => {
    // Prepare
    vi.useFakeTimers();

    // Act
    const waits = [];
    for (const attempt of [2, 4, 8, 16, 64]) waits.push(await longestWait(() => lostRaceWait(attempt)));

    // Assess: 80 ms / attempt, at least 5 ms
    expect(waits).toEqual([40, 20, 10, 5, 5]);
  });

  it('after a collision with a transaction in progress: longer each time, capped at 300 ms', async () => {
    // Prepare
    vi.useFakeTimers();

    // Act
    const waits = [];
    for (const attempt of [1, 3, 6, 10]) waits.push(await longestWait(() => conflictBackoff(attempt)));

    // Assess: 10 ms at the first, doubling, capped at 200 ms, times up to 1.5
    expect(waits).toEqual([15, 60, 300, 300]);
  });
});
