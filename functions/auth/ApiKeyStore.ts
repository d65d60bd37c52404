import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { BrookError } from '../../protocol/errors.js';
import type { Permission } from '../../protocol/permissions.js';
import type { ApiKey } from '../../protocol/types.js';
import { DEFAULT_KEY_CACHE_TTL_MS } from '../config.js';
import type { KeyAuthenticator, Principal } from '../http/middleware.js';
import { KEYS_BY_ID_INDEX } from '../layout/tables.js';
import { scanAll } from '../storage/bulk.js';
import { isConditionalCheckFailed, translateStorageError } from '../storage/errors.js';
import { isIamPrincipal, normalizeIamPrincipal } from './iam.js';
import { ADMIN_PERMISSIONS } from './permissions.js';
import { hashesEqual, hashSecret, KEY_ID_PATTERN, newKeyId, newSecret } from './secrets.js';

export type { Principal };

/** One key: `pk` is the SHA-256 of its secret. */
interface KeyItem {
  pk: string;
  keyId: string;
  principal: string;
  permissions: Permission[];
  createdAt: number;
  expiresAt?: number;
}

/** What an IAM principal's item holds per key granted to it (attribute name: the key id). */
interface Grant {
  permissions: Permission[];
  expiresAt?: number;
}

export interface CreateKeyInput {
  principal: string;
  permissions: Permission[];
  expiresAt?: number;
}

export interface ApiKeyStoreOptions {
  /** How long a warm handler trusts a looked-up key; bounds how late a revoke takes effect in other processes. @default 5000 */
  cacheTtlMs?: number;
  now?: () => number;
}

/** The `pk` of an IAM principal's grants item; never a hash (those are 64 hex digits). */
const PRINCIPAL_PREFIX = 'principal#';

type CacheEntry =
  | { kind: 'key'; principal: Principal; expiresAt?: number; cachedAt: number }
  | { kind: 'iam'; principal: string; grants: Grant[]; cachedAt: number };

/**
 * One cache per process, shared by every store in it: the local stack runs
 * all handlers in one process, so a revoke through the keys handler must
 * reach the cache of the topics handler at once, as it does here.
 */
const shared: { cache: Map<string, CacheEntry>; invalidations: number } = ((
  globalThis as { __brookKeyCache?: { cache: Map<string, CacheEntry>; invalidations: number } }
).__brookKeyCache ??= { cache: new Map(), invalidations: 0 });
const sharedCache = shared.cache;

/**
 * API keys in DynamoDB, stored by the SHA-256 of their secret (docs/access.md).
 * Lookups are cached per warm process for at most `cacheTtlMs`; a create or
 * revoke through any store of the process updates that cache at once.
 *
 * Items of the keys table:
 * - a key: `pk` = sha256(secret), `keyId`, `principal`, `permissions`,
 *   `createdAt`, `expiresAt?`; found by id through the `byKeyId` index;
 * - for keys whose principal is an IAM ARN, one item per (normalized)
 *   principal, `pk` = `principal#<arn>`, with one attribute per key id
 *   holding that key's `{permissions, expiresAt?}`: an IAM caller's rights
 *   are one `GetItem`. It has no `keyId`, so it stays out of the index.
 */
export class ApiKeyStore implements KeyAuthenticator {
  private readonly cacheTtlMs: number;
  private readonly now: () => number;

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    options: ApiKeyStoreOptions = {},
  ) {
    this.cacheTtlMs = options.cacheTtlMs ?? DEFAULT_KEY_CACHE_TTL_MS;
    this.now = options.now ?? Date.now;
  }

  /** The principal behind `secret`, or `undefined` when the key is unknown, revoked or expired. */
  async authenticate(secret: string): Promise<Principal | undefined> {
    const hash = hashSecret(secret);
    const now = this.now();
    const cacheKey = this.keyCacheKey(hash);
    const cached = sharedCache.get(cacheKey);
    if (cached?.kind === 'key' && cached.cachedAt + this.cacheTtlMs > now) {
      return isLive(cached.expiresAt, now) ? cached.principal : undefined;
    }
    const invalidations = shared.invalidations;
    const item = await this.getItem(hash);
    // Unknown keys are not cached: a new key works at once.
    if (!item || !item.keyId || !hashesEqual(item.pk, hash)) {
      sharedCache.delete(cacheKey);
      return undefined;
    }
    const principal: Principal = { keyId: item.keyId, principal: item.principal, permissions: item.permissions };
    // A revoke that ran while this read was under way may have deleted what was read: do not cache it.
    if (invalidations !== shared.invalidations) return isLive(item.expiresAt, now) ? principal : undefined;
    sharedCache.set(cacheKey, {
      kind: 'key',
      principal,
      cachedAt: now,
      ...(item.expiresAt !== undefined ? { expiresAt: item.expiresAt } : {}),
    });
    return isLive(item.expiresAt, now) ? principal : undefined;
  }

  /**
   * An IAM caller (SigV4, checked by API Gateway): its rights are those of the
   * unexpired keys whose principal is its (normalized) ARN; `undefined` when
   * there are none.
   */
  async authenticateIam(callerArn: string): Promise<Principal | undefined> {
    const principal = normalizeIamPrincipal(callerArn);
    const now = this.now();
    const cacheKey = this.iamCacheKey(principal);
    const cached = sharedCache.get(cacheKey);
    let grants: Grant[];
    if (cached?.kind === 'iam' && cached.cachedAt + this.cacheTtlMs > now) {
      grants = cached.grants;
    } else {
      const invalidations = shared.invalidations;
      grants = await this.readGrants(principal);
      if (grants.length === 0) sharedCache.delete(cacheKey);
      else if (invalidations === shared.invalidations) sharedCache.set(cacheKey, { kind: 'iam', principal, grants, cachedAt: now });
    }
    const live = grants.filter((grant) => isLive(grant.expiresAt, now));
    if (live.length === 0) return undefined;
    return { principal, permissions: live.flatMap((grant) => grant.permissions) };
  }

  /**
   * Creates a key with a new secret, returned here and nowhere else: only its
   * hash is stored. A key for an IAM principal also writes its grant, in the
   * same transaction.
   */
  async createKey(input: CreateKeyInput): Promise<{ key: ApiKey; secret: string }> {
    const secret = newSecret();
    const item: KeyItem = {
      pk: hashSecret(secret),
      keyId: newKeyId(),
      principal: input.principal,
      permissions: input.permissions,
      createdAt: this.now(),
      ...(input.expiresAt !== undefined ? { expiresAt: input.expiresAt } : {}),
    };
    await this.putKey(item);
    return { key: toApiKey(item), secret };
  }

  /** Every key, oldest first: ids, principals, permissions and dates, never a secret nor a hash. */
  async listKeys(): Promise<ApiKey[]> {
    const items = await scanAll<KeyItem>(this.doc, {
      TableName: this.tableName,
      ConsistentRead: true,
      FilterExpression: 'attribute_exists(keyId)',
      ProjectionExpression: 'keyId, principal, #permissions, createdAt, expiresAt',
      ExpressionAttributeNames: { '#permissions': 'permissions' },
    });
    const keys = items.map(toApiKey);
    return keys.sort((a, b) => a.createdAt - b.createdAt || a.keyId.localeCompare(b.keyId));
  }

  /**
   * Deletes a key (and its IAM grant): it stops working at once in this
   * process, and within `cacheTtlMs` in every other. `404 NOT_FOUND` if no
   * such key.
   */
  async revokeKey(keyId: string): Promise<void> {
    const item = KEY_ID_PATTERN.test(keyId) ? await this.findByKeyId(keyId) : undefined;
    if (!item) throw new BrookError('NOT_FOUND', `no key "${keyId.slice(0, 40)}"`);
    const deleteKey = {
      TableName: this.tableName,
      Key: { pk: item.pk },
      ConditionExpression: 'keyId = :keyId',
      ExpressionAttributeValues: { ':keyId': keyId },
    };
    try {
      if (isIamPrincipal(item.principal)) {
        await this.doc.send(
          new TransactWriteCommand({
            TransactItems: [
              { Delete: deleteKey },
              {
                Update: {
                  TableName: this.tableName,
                  Key: { pk: PRINCIPAL_PREFIX + normalizeIamPrincipal(item.principal) },
                  UpdateExpression: 'REMOVE #keyId',
                  ExpressionAttributeNames: { '#keyId': keyId },
                },
              },
            ],
          }),
        );
      } else {
        await this.doc.send(new DeleteCommand(deleteKey));
      }
    } catch (error) {
      if (isConditionalCheckFailed(error) || isCancelledByCondition(error)) {
        throw new BrookError('NOT_FOUND', `no key "${keyId}"`);
      }
      throw translateTransactionError(error);
    } finally {
      this.forget(item);
    }
  }

  /**
   * Registers `secret` as an admin key for `principal` (the key given to a
   * deployment or to the local stack). Idempotent: the same secret keeps its key id.
   */
  async ensureAdminKey(secret: string, principal = 'admin'): Promise<{ keyId: string }> {
    const hash = hashSecret(secret);
    const existing = await this.getItem(hash);
    if (existing?.principal === principal) return { keyId: existing.keyId };
    // The deployment's admin principal changed (say, to an IAM role when a stage moves to auth 'iam'):
    // register the same secret again for the new one, or that role would get no rights at all.
    if (existing) await this.revokeKey(existing.keyId);
    const item: KeyItem = {
      pk: hash,
      keyId: newKeyId(),
      principal,
      permissions: ADMIN_PERMISSIONS.map((p) => ({ resource: p.resource, operations: [...p.operations] })),
      createdAt: this.now(),
    };
    await this.putKey(item);
    return { keyId: item.keyId };
  }

  private async putKey(item: KeyItem): Promise<void> {
    const put = { TableName: this.tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' };
    try {
      if (isIamPrincipal(item.principal)) {
        const grant: Grant = { permissions: item.permissions, ...(item.expiresAt !== undefined ? { expiresAt: item.expiresAt } : {}) };
        await this.doc.send(
          new TransactWriteCommand({
            TransactItems: [
              { Put: put },
              {
                Update: {
                  TableName: this.tableName,
                  Key: { pk: PRINCIPAL_PREFIX + normalizeIamPrincipal(item.principal) },
                  UpdateExpression: 'SET #keyId = :grant',
                  ExpressionAttributeNames: { '#keyId': item.keyId },
                  ExpressionAttributeValues: { ':grant': grant },
                },
              },
            ],
          }),
        );
      } else {
        await this.doc.send(new PutCommand(put));
      }
    } catch (error) {
      throw translateTransactionError(error);
    } finally {
      this.forget(item);
    }
  }

  /**
   * The key item with this id: the `byKeyId` index first (eventually
   * consistent, and a key created a moment ago may not be there yet), then,
   * only when the index has nothing, a consistent scan, so that a 404 is never
   * answered for a key that exists. The table holds a few items per key, so
   * that scan is small, and only unknown ids pay for it.
   */
  private async findByKeyId(keyId: string): Promise<KeyItem | undefined> {
    try {
      const indexed = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: KEYS_BY_ID_INDEX,
          KeyConditionExpression: 'keyId = :keyId',
          ExpressionAttributeValues: { ':keyId': keyId },
        }),
      );
      const found = indexed.Items?.[0] as KeyItem | undefined;
      if (found) return found;
    } catch (error) {
      throw translateStorageError(error);
    }
    const [item] = await scanAll<KeyItem>(this.doc, {
      TableName: this.tableName,
      ConsistentRead: true,
      FilterExpression: 'keyId = :keyId',
      ExpressionAttributeValues: { ':keyId': keyId },
    });
    return item;
  }

  private async readGrants(principal: string): Promise<Grant[]> {
    let item: Record<string, unknown> | undefined;
    try {
      const result = await this.doc.send(
        new GetCommand({ TableName: this.tableName, Key: { pk: PRINCIPAL_PREFIX + principal }, ConsistentRead: true }),
      );
      item = result.Item;
    } catch (error) {
      throw translateStorageError(error);
    }
    if (!item) return [];
    return Object.entries(item)
      .filter(([name]) => KEY_ID_PATTERN.test(name))
      .map(([, grant]) => grant as Grant);
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

  /** Drops what this process cached about a key and its principal's grants. */
  private forget(item: Pick<KeyItem, 'pk' | 'principal'>): void {
    shared.invalidations++;
    sharedCache.delete(this.keyCacheKey(item.pk));
    if (isIamPrincipal(item.principal)) sharedCache.delete(this.iamCacheKey(normalizeIamPrincipal(item.principal)));
  }

  private keyCacheKey(hash: string): string {
    return `${this.tableName}\n${hash}`;
  }

  private iamCacheKey(principal: string): string {
    return `${this.tableName}\n${PRINCIPAL_PREFIX}${principal}`;
  }
}

function isLive(expiresAt: number | undefined, now: number): boolean {
  return expiresAt === undefined || expiresAt > now;
}

/**
 * A cancelled transaction as the contract's error: throttled is THROTTLED; a
 * collision with another change of the same principal's grants is a
 * retriable UNAVAILABLE (nothing was written). Others as any storage error.
 */
function translateTransactionError(error: unknown): unknown {
  const name = (error as { name?: string } | undefined)?.name;
  if (name === 'TransactionConflictException') return new BrookError('UNAVAILABLE', 'these keys are being changed; retry', {}, { cause: error });
  if (name === 'TransactionCanceledException') {
    const codes = ((error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? []).map((reason) => reason.Code);
    if (codes.some((code) => code === 'ThrottlingError' || code === 'ProvisionedThroughputExceeded' || code === 'RequestLimitExceeded')) {
      return new BrookError('THROTTLED', 'storage is throttling requests; retry with backoff', {}, { cause: error });
    }
    if (codes.includes('TransactionConflict')) return new BrookError('UNAVAILABLE', 'these keys are being changed; retry', {}, { cause: error });
  }
  return translateStorageError(error);
}

function isCancelledByCondition(error: unknown): boolean {
  if ((error as { name?: string } | undefined)?.name !== 'TransactionCanceledException') return false;
  const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
  return reasons.some((reason) => reason.Code === 'ConditionalCheckFailed');
}

/** The public view of a key: never the secret nor its hash. */
function toApiKey(item: KeyItem): ApiKey {
  return {
    keyId: item.keyId,
    principal: item.principal,
    permissions: item.permissions,
    expiresAt: item.expiresAt ?? null,
    createdAt: item.createdAt,
  };
}
