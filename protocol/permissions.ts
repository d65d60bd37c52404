/**
 * The permission model of the Brook HTTP API v1 (docs/access.md): the
 * operations, how a permission names its resource, and what a permission
 * grants. The server decides access with it; the SDK and the CLI check what
 * they send against the same rules.
 */

export type Operation = 'read' | 'write' | 'describe' | 'admin';

/** Every operation a permission may grant, in the contract's order. */
export const OPERATIONS = ['read', 'write', 'describe', 'admin'] as const satisfies readonly Operation[];

export interface Permission {
  /** `topic:<name>`, `topic:<prefix>*`, `group:<name>`, `group:<prefix>*` or `cluster`. */
  resource: string;
  operations: Operation[];
}

/** `cluster`, `topic:<name>`, `topic:<prefix>*`, `group:<name>` or `group:<prefix>*` (names by the rules of names.ts). */
export const RESOURCE_PATTERN = /^(?:cluster|topic:(?:[A-Za-z0-9._-]{1,249}|[A-Za-z0-9._-]{0,248}\*)|group:(?:[A-Za-z0-9._-]{1,255}|[A-Za-z0-9._-]{0,254}\*))$/;

/** What a request acts on: a topic, a group, or the cluster as a whole. */
export type Resource = { type: 'topic' | 'group'; name: string } | { type: 'cluster' };

function grants(granted: readonly Operation[], wanted: Operation): boolean {
  if (granted.includes(wanted) || granted.includes('admin')) return true;
  // As in Kafka's ACLs, the right to read or write a resource includes seeing it.
  return wanted === 'describe' && (granted.includes('read') || granted.includes('write'));
}

function covers(pattern: string, resource: Resource): boolean {
  if (pattern === 'cluster') return true;
  if (resource.type === 'cluster') return false;
  const prefix = `${resource.type}:`;
  if (!pattern.startsWith(prefix)) return false;
  const namePattern = pattern.slice(prefix.length);
  return namePattern.endsWith('*')
    ? resource.name.startsWith(namePattern.slice(0, -1))
    : resource.name === namePattern;
}

/**
 * Whether a key with `permissions` may perform `operation` on `resource`.
 * A `cluster` permission covers every resource; `admin` includes every
 * operation; `read` and `write` include `describe`.
 */
export function isAllowed(permissions: readonly Permission[], resource: Resource, operation: Operation): boolean {
  return permissions.some((permission) => covers(permission.resource, resource) && grants(permission.operations, operation));
}
