import type { z } from 'zod';
import { BrookError, type ErrorCode } from '../../protocol/errors.js';

/** Chooses the contract's code for a validation failure at `path` (e.g. `['config', 'retentionMs']`). */
export type InvalidCodeFor = (path: readonly PropertyKey[]) => ErrorCode;

export const alwaysInvalidRequest: InvalidCodeFor = () => 'INVALID_REQUEST';

function describePath(path: readonly PropertyKey[]): string {
  return path.length === 0 ? 'body' : path.map(String).join('.');
}

/**
 * Parses `input` with `schema`, or throws a 400 BrookError naming the first
 * problem, with the code `codeFor` picks for its path.
 */
export function parseWith<T>(schema: z.ZodType<T>, input: unknown, codeFor: InvalidCodeFor, what = 'body'): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path =
    issue.code === 'unrecognized_keys' ? [...issue.path, (issue as { keys: string[] }).keys[0] ?? ''] : issue.path;
  const where = what === 'body' ? describePath(path) : `${what}${path.length ? '.' + describePath(path) : ''}`;
  throw new BrookError(codeFor(issue.path), `${where}: ${issue.message}`);
}
