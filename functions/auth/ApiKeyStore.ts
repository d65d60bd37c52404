import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Permission } from '../../protocol/types.js';
import { translateStorageError } from '../storage/errors.js';
import { ADMIN_PERMISSIONS } from './permissions.js';
import { hashesEqual, hashSecret, newKeyId } from './secrets.js';

/** Who is calling, once their key has been checked. Never holds the secret. */
export interface Principal {
  keyId: string;
  principal: string;
  permissions: Permission[];
}

interface KeyItem {
  pk: string;
  keyId: string;
  principal: string;
  permissions: Permission[];
  createdAt: number;
  expiresAt?: number;
  ttl?: number;
}

export interface ApiKeyStoreOptions {
  /** How long a warm handler trusts a looked-up key; bounds how late a revoke takes effect. @default 10000 */
  cacheTtlMs?: number;
  now?: () => number;
}

/**
 * API keys in DynamoDB, stored by the SHA-256 of their secret. Lookups are
 * cached per warm handler for at most `cacheTtlMs`.
 */
export class ApiKeyStore {
  private readonly cache = new Map<string, { principal: Principal; expiresAt?: number; cachedUntil: number }>();
  private readonly cacheTtlMs: number;
  private readonly now: () => number;

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    options: ApiKeyStoreOptions = {},
  ) {
    this.cacheTtlMs = options.cacheTtlMs ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  /** The principal behind `secret`, or `undefined` when the key is unknown or expired. */
  async authenticate(secret: string): Promise<Principal | undefined> {
    const hash = hashSecret(secret);
    const now = this.now();
    const cached = this.cache.get(hash);
    if (cached && cached.cachedUntil > now) {
      return cached.expiresAt !== undefined && cached.expiresAt <= now ? undefined : cached.principal;
    }
    const item = await this.getItem(hash);
    if (!item || !hashesEqual(item.pk, hash)) {
      this.cache.delete(hash);
      return undefined;
    }
    const principal: Principal = { keyId: item.keyId, principal: item.principal, permissions: item.permissions };
    this.cache.set(hash, {
      principal,
      cachedUntil: now + this.cacheTtlMs,
      ...(item.expiresAt !== undefined ? { expiresAt: item.expiresAt } : {}),
    });
    return item.expiresAt !== undefined && item.expiresAt <= now ? undefined : principal;
  }

  /**
   * Registers `secret` as an admin key for `principal` (the key given to a
   * deployment or to the local stack). Idempotent: the same secret keeps its key id.
   */
  async ensureAdminKey(secret: string, principal = 'admin'): Promise<{ keyId: string }> {
    const hash = hashSecret(secret);
    const existing = await this.getItem(hash);
    if (existing) return { keyId: existing.keyId };
    const item: KeyItem = {
      pk: hash,
      keyId: newKeyId(),
      principal,
      permissions: ADMIN_PERMISSIONS.map((p) => ({ resource: p.resource, operations: [...p.operations] })),
      createdAt: this.now(),
    };
    try {
      await this.doc.send(new PutCommand({ TableName: this.tableName, Item: item }));
    } catch (error) {
      throw translateStorageError(error);
    }
    return { keyId: item.keyId };
  }

  private async getItem(hash: string): Promise<KeyItem | undefined> {
    try {
      const result = await this.doc.send(
        new GetCommand({ TableName: this.tableName, Key: { pk: hash }, ConsistentRead: true }),
      );
      return result.Item as KeyItem | undefined;
    } catch (error) {
      throw translateStorageError(error);
    }
  }
}
