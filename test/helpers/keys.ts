import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { hashSecret } from '../../functions/auth/secrets.js';
import type { BrookConfig } from '../../functions/config.js';
import { createDocumentClient } from '../../functions/storage/clients.js';
import type { Permission } from '../../protocol/types.js';

/** Stores an API key with `permissions` straight in the keys table, as key creation would. */
export async function putTestKey(config: BrookConfig, secret: string, permissions: Permission[], expiresAt?: number): Promise<void> {
  await createDocumentClient(config).send(
    new PutCommand({
      TableName: config.tables.keys,
      Item: {
        pk: hashSecret(secret),
        keyId: `key_${hashSecret(secret).slice(0, 16)}`,
        principal: 'test',
        permissions,
        createdAt: Date.now(),
        ...(expiresAt !== undefined ? { expiresAt } : {}),
      },
    }),
  );
}
