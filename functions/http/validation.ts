import type { z } from 'zod';
import { BrookError, type ErrorCode } from '../../protocol/errors.js';

/** Chooses the contract's code for a validation failure at `path` (e.g. `['config', 'retentionMs']`). */
export type InvalidCodeFor = (path: readonly PropertyKey[]) => ErrorCode;

export const alwaysInvalidRequest: InvalidCodeFor = () => 'INVALID_REQUEST';

function describePath(path: readonly PropertyKey[]): string {
  return path.length === 0 ? 'body' : path.map(String).join('.');
}

/** Whether `path` names a field that `input` lacks: its parent is an object without it. */
function isMissingField(input: unknown, path: readonly PropertyKey[]): boolean {
  if (path.length === 0) return false;
  let parent: unknown = input;
  for (const key of path.slice(0, -1)) {
    if (parent === null || typeof parent !== 'object') return false;
    parent = (parent as Record<PropertyKey, unknown>)[key];
  }
  if (parent === null || typeof parent !== 'object' || Array.isArray(parent)) return false;
  return (parent as Record<PropertyKey, unknown>)[path.at(-1)!] === undefined;
}

/**
 * Parses `input` with `schema`, or throws a 400 BrookError naming the first
 * problem, with the code `codeFor` picks for its path. A required field that
 * is absent reads "missing field <name>".
 */
export function parseWith<T>(schema: z.ZodType<T>, input: unknown, codeFor: InvalidCodeFor, what = 'body'): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path =
    issue.code === 'unrecognized_keys' ? [...issue.path, (issue as { keys: string[] }).keys[0] ?? ''] : issue.path;
  const where = what === 'body' ? describePath(path) : `${what}${path.length ? '.' + describePath(path) : ''}`;
  if (issue.code === 'invalid_type' && isMissingField(input, issue.path)) {
    throw new BrookError(codeFor(issue.path), `missing field ${where}`);
  }
  throw new BrookError(codeFor(issue.path), `${where}: ${issue.message}`);
}
