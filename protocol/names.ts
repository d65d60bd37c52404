/** Topic names follow Kafka's rule (docs/http.md, Conventions). */
export const TOPIC_NAME_PATTERN = /^[A-Za-z0-9._-]{1,249}$/;

/**
 * A partition number as text (a path segment, a key of `producer.sequences`
 * or `expectedOffsets`): decimal digits, no sign, no leading zero.
 */
export const PARTITION_NUMBER_PATTERN = /^(0|[1-9][0-9]*)$/;

/** Group names: the same characters, up to 255 of them. */
export const GROUP_NAME_PATTERN = /^[A-Za-z0-9._-]{1,255}$/;

/**
 * Whether `name` may name a topic. Like Kafka, `.` and `..` are refused too:
 * they match the character rule but cannot stand in a URL path.
 */
export function isValidTopicName(name: unknown): name is string {
  return typeof name === 'string' && TOPIC_NAME_PATTERN.test(name) && name !== '.' && name !== '..';
}

export function isValidGroupName(name: unknown): name is string {
  return typeof name === 'string' && GROUP_NAME_PATTERN.test(name) && name !== '.' && name !== '..';
}
