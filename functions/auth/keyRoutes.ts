import * as z from 'zod';
import { BrookError } from '../../protocol/errors.js';
import { defineRoute, type RouteSpec } from '../http/httpHandler.js';
import { noContent, ok } from '../http/response.js';
import type { ApiKeyStore } from './ApiKeyStore.js';
import { OPERATIONS, RESOURCE_PATTERN } from '../../protocol/permissions.js';

/** Limits of one key. */
export const KEY_LIMITS = { maxPrincipalLength: 1024, maxPermissions: 100 } as const;
/** The last millisecond of the year 9999: later expiry dates are refused as nonsense. */
export const MAX_EXPIRES_AT = 253_402_300_799_999;

export const createKeyBodySchema = z.strictObject({
  principal: z
    .string()
    .min(1, 'a principal is required')
    .max(KEY_LIMITS.maxPrincipalLength)
    .regex(/^[^\p{Cc}]+$/u, 'no control characters'),
  permissions: z
    .array(
      z.strictObject({
        resource: z.string().regex(RESOURCE_PATTERN, 'cluster, topic:<name>, topic:<prefix>*, group:<name> or group:<prefix>*'),
        operations: z
          .array(z.enum(OPERATIONS))
          .min(1, 'at least one operation')
          .max(OPERATIONS.length * 4)
          .transform((operations) => [...new Set(operations)]),
      }),
    )
    .max(KEY_LIMITS.maxPermissions),
  expiresAt: z.int().min(0).max(MAX_EXPIRES_AT).nullable().optional(),
});

/** `/v1/keys` routes (docs/http.md, API keys and permissions): all need `admin` on `cluster`. */
export function keyRoutes(keys: ApiKeyStore, now: () => number = Date.now): Record<string, RouteSpec<unknown, unknown>> {
  return {
    'POST /v1/keys': defineRoute({
      body: createKeyBodySchema,
      async handle({ body, authorize }) {
        authorize({ type: 'cluster' }, 'admin');
        if (body.expiresAt !== undefined && body.expiresAt !== null && body.expiresAt <= now()) {
          throw new BrookError('INVALID_REQUEST', 'expiresAt: must be in the future (epoch milliseconds)');
        }
        const { key, secret } = await keys.createKey({
          principal: body.principal,
          permissions: body.permissions,
          ...(body.expiresAt !== undefined && body.expiresAt !== null ? { expiresAt: body.expiresAt } : {}),
        });
        return ok({ keyId: key.keyId, secret, principal: key.principal, permissions: key.permissions, expiresAt: key.expiresAt }, 201);
      },
    }),
    'GET /v1/keys': defineRoute({
      async handle({ authorize }) {
        authorize({ type: 'cluster' }, 'admin');
        return ok({ keys: await keys.listKeys() });
      },
    }),
    'DELETE /v1/keys/{keyId}': defineRoute({
      async handle({ params, authorize }) {
        authorize({ type: 'cluster' }, 'admin');
        // Any id the store never made is just unknown: 404 NOT_FOUND.
        await keys.revokeKey(params.keyId ?? '');
        return noContent();
      },
    }),
  };
}
