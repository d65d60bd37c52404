/**
 * How the CLI fails: one readable line on stderr and an exit code that tells
 * a script what kind of failure it was. No stack traces, no secrets.
 *
 * | code | meaning |
 * |---|---|
 * | 0 | done |
 * | 1 | the server refused or failed (a Brook error code is printed) |
 * | 2 | usage: a bad option, argument or input line (nothing or only part was sent) |
 * | 3 | no answer: the server could not be reached or timed out |
 * | 130 | interrupted a second time (Ctrl-C twice), or `produce --transactional` interrupted (nothing sent) |
 */
import { BrookError } from '../sdk/index.js';

export const EXIT = { ok: 0, server: 1, usage: 2, unreachable: 3, interrupted: 130 } as const;

/** Bad command line or bad input: exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Something went wrong that is neither usage nor a server answer (a file that cannot be read). */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: number = EXIT.server,
  ) {
    super(message);
  }
}

/** The one line printed for `error` (without the `brook: ` prefix) and the exit code. */
export function describeFailure(error: unknown): { line: string; exitCode: number } {
  if (error instanceof UsageError) return { line: error.message, exitCode: EXIT.usage };
  if (error instanceof CliError) return { line: error.message, exitCode: error.exitCode };
  if (error instanceof BrookError) {
    if (error.details.origin === 'sdk' && (error.code === 'UNAVAILABLE' || error.code === 'TIMEOUT')) {
      return { line: `${error.code}: ${oneLine(error.message)}`, exitCode: EXIT.unreachable };
    }
    // The request id helps whoever reads the server's logs; a refusal explains itself.
    const requestId =
      error.status >= 500 && error.details.origin !== 'sdk' && typeof error.details.requestId === 'string' ? ` (request ${error.details.requestId})` : '';
    return { line: `${error.code}: ${oneLine(error.message)}${requestId}`, exitCode: EXIT.server };
  }
  if (error instanceof TypeError && /a Brook (url|API key) is required/.test(error.message)) {
    return { line: oneLine(error.message), exitCode: EXIT.usage };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { line: `unexpected error: ${oneLine(message)}`, exitCode: EXIT.server };
}

const oneLine = (text: string): string => text.replace(/\s*\n\s*/g, ' ').trim();
