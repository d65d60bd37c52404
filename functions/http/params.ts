/**
 * Path parameters every feature's routes read the same way: `{topic}` and
 * `{partition}`, checked against the contract's rules (protocol/names.ts).
 */
import { BrookError } from '../../protocol/errors.js';
import { isValidTopicName, PARTITION_NUMBER_PATTERN } from '../../protocol/names.js';

/** Digits of the largest partition number a path may name. */
const MAX_PARTITION_DIGITS = 6;

/** The `{topic}` path parameter, checked against the name rule (400 INVALID_TOPIC). */
export function topicParam(params: Readonly<Record<string, string>>): string {
  const name = params.topic;
  if (!isValidTopicName(name)) throw new BrookError('INVALID_TOPIC', `invalid topic name "${String(name).slice(0, 300)}"`);
  return name;
}

/** The `{partition}` path parameter: a partition number (400 INVALID_REQUEST). */
export function partitionParam(params: Readonly<Record<string, string>>): number {
  const raw = params.partition ?? '';
  if (raw.length > MAX_PARTITION_DIGITS || !PARTITION_NUMBER_PATTERN.test(raw)) {
    throw new BrookError('INVALID_REQUEST', `"${raw.slice(0, 20)}" is not a partition number`);
  }
  return Number(raw);
}
