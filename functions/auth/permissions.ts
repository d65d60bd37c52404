import type { Operation, Permission } from '../../protocol/types.js';

/** What a request acts on: a topic, a group, or the cluster as a whole. */
export type Resource = { type: 'topic' | 'group'; name: string } | { type: 'cluster' };

export const ALL_OPERATIONS: readonly Operation[] = ['read', 'write', 'describe', 'admin'];

/** The permissions of the bootstrap admin key. */
export const ADMIN_PERMISSIONS: readonly Permission[] = [{ resource: 'cluster', operations: [...ALL_OPERATIONS] }];

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
