import { describe, expect, it } from 'vitest';
import { ADMIN_PERMISSIONS } from '../../functions/auth/permissions.js';
import { hashesEqual, hashSecret, newKeyId, newSecret } from '../../functions/auth/secrets.js';
import { isAllowed, type Permission } from '../../protocol/permissions.js';

describe('auth: permissions', () => {
  const orders: Permission[] = [{ resource: 'topic:orders', operations: ['read'] }];

  it('grants an operation on the named resource only', () => {
    expect(isAllowed(orders, { type: 'topic', name: 'orders' }, 'read')).toBe(true);
    expect(isAllowed(orders, { type: 'topic', name: 'orders' }, 'write')).toBe(false);
    expect(isAllowed(orders, { type: 'topic', name: 'orders-2' }, 'read')).toBe(false);
    expect(isAllowed(orders, { type: 'group', name: 'orders' }, 'read')).toBe(false);
    expect(isAllowed(orders, { type: 'cluster' }, 'read')).toBe(false);
  });

  it('matches prefixes ending in *', () => {
    const prefixed: Permission[] = [{ resource: 'topic:payments.*', operations: ['write'] }];
    expect(isAllowed(prefixed, { type: 'topic', name: 'payments.eu' }, 'write')).toBe(true);
    expect(isAllowed(prefixed, { type: 'topic', name: 'payments' }, 'write')).toBe(false);
    expect(isAllowed([{ resource: 'group:*', operations: ['read'] }], { type: 'group', name: 'any' }, 'read')).toBe(true);
  });

  it('lets read and write imply describe, and admin imply everything', () => {
    expect(isAllowed(orders, { type: 'topic', name: 'orders' }, 'describe')).toBe(true);
    const admin: Permission[] = [{ resource: 'topic:orders', operations: ['admin'] }];
    for (const op of ['read', 'write', 'describe', 'admin'] as const) {
      expect(isAllowed(admin, { type: 'topic', name: 'orders' }, op)).toBe(true);
    }
    expect(isAllowed([{ resource: 'topic:x', operations: ['describe'] }], { type: 'topic', name: 'x' }, 'read')).toBe(false);
  });

  it('lets a cluster permission cover every resource', () => {
    expect(isAllowed(ADMIN_PERMISSIONS, { type: 'topic', name: 'a' }, 'admin')).toBe(true);
    expect(isAllowed(ADMIN_PERMISSIONS, { type: 'group', name: 'g' }, 'read')).toBe(true);
    expect(isAllowed([{ resource: 'cluster', operations: ['describe'] }], { type: 'topic', name: 'a' }, 'write')).toBe(false);
  });

  it('grants nothing without permissions', () => {
    expect(isAllowed([], { type: 'cluster' }, 'describe')).toBe(false);
  });
});

describe('auth: secrets', () => {
  it('stores a hash, never the secret, and compares hashes', () => {
    const secret = newSecret();
    const hash = hashSecret(secret);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hash).not.toContain(secret);
    expect(hashesEqual(hash, hashSecret(secret))).toBe(true);
    expect(hashesEqual(hash, hashSecret(`${secret}x`))).toBe(false);
    expect(hashesEqual(hash, 'short')).toBe(false);
  });

  it('makes distinct secrets and ids', () => {
    expect(newSecret()).not.toBe(newSecret());
    expect(newSecret()).toMatch(/^brook_[A-Za-z0-9_-]{43}$/);
    expect(newKeyId()).toMatch(/^key_[0-9a-f]{16}$/);
  });
});
