/** The contract's errors that more than one part of the group coordinator raises. */
import { BrookError } from '../../protocol/errors.js';
import { translateConflictError } from '../storage/conflicts.js';
import { isConditionalCheckFailed } from '../storage/errors.js';

/** What a client is told when a group's items keep changing under its request. */
export const GROUP_BUSY = 'the group is being changed; retry';

/**
 * Storage errors as the contract's (a lost transaction race is `UNAVAILABLE`: the group is being changed).
 * A failed condition of a single write that its caller did not turn into an answer of its own is a race lost
 * the same way (or a write whose answer was lost, its retry failing on our own item): `UNAVAILABLE` too, never a 500.
 */
export function translateGroupError(error: unknown): unknown {
  if (isConditionalCheckFailed(error)) return new BrookError('UNAVAILABLE', GROUP_BUSY, {}, { cause: error });
  return translateConflictError(error, GROUP_BUSY);
}

export function memberNotFound(group: string, memberId: string): BrookError {
  return new BrookError('MEMBER_NOT_FOUND', `member "${memberId}" is not a live member of group "${group}"; join again`);
}

export function groupNotFound(group: string): BrookError {
  return new BrookError('GROUP_NOT_FOUND', `group "${group}" does not exist`);
}

export function groupNotEmpty(group: string): BrookError {
  return new BrookError('GROUP_NOT_EMPTY', `group "${group}" has live members`);
}
