/**
 * Ctrl-C and SIGTERM for commands that run until stopped (consume, produce).
 *
 * The first signal asks the command to finish cleanly (deliver what was read,
 * commit and leave the group). Under `npx` or `npm run` one Ctrl-C arrives
 * twice, from the terminal and relayed by npm, so a repeat within a second is
 * the same request; a signal after that exits at once with code 130.
 */
import { EXIT } from './errors.js';

const SAME_SIGNAL_WINDOW_MS = 1_000;

/** Calls `stop` on the first SIGINT or SIGTERM; returns a function that removes the handlers. */
export function onStopSignals(stop: (signal: NodeJS.Signals) => void): () => void {
  let firstAt: number | undefined;
  const handle = (signal: NodeJS.Signals) => {
    if (firstAt === undefined) {
      firstAt = Date.now();
      stop(signal);
      return;
    }
    if (Date.now() - firstAt < SAME_SIGNAL_WINDOW_MS) return;
    process.exit(EXIT.interrupted);
  };
  process.on('SIGINT', handle);
  process.on('SIGTERM', handle);
  return () => {
    process.off('SIGINT', handle);
    process.off('SIGTERM', handle);
  };
}
