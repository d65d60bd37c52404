import { OPERATIONS, type Permission } from '../../protocol/permissions.js';

/** The permissions of the bootstrap admin key. */
export const ADMIN_PERMISSIONS: readonly Permission[] = [{ resource: 'cluster', operations: [...OPERATIONS] }];
