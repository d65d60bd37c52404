import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { CdkCustomResourceResponse, CloudFormationCustomResourceEvent } from 'aws-lambda';
import { ApiKeyStore } from '../auth/ApiKeyStore.js';
import { loadConfig } from '../config.js';
import { defaultLogger, type Logger } from '../http/logger.js';
import { createDocumentClient } from '../storage/clients.js';

/** What the stack passes to the custom resource (`infra/constructs/AdminKeyBootstrap.ts`). */
export interface AdminKeyProperties {
  ServiceToken: string;
  /** ARN or name of the Secrets Manager secret holding the admin key. */
  SecretId: string;
  /** Only there so that a new keys table re-runs the bootstrap; the table comes from `BROOK_KEYS_TABLE`. */
  KeysTableName?: string;
  /**
   * The admin key's principal (default `admin`). For a stage with `auth: 'iam'`,
   * an IAM role ARN: that role then gets the admin's rights over SigV4
   * (docs/access.md), since bearer keys are not used there.
   */
  AdminPrincipal?: string;
}

/** Readable in the template with `Fn::GetAtt`. Ids are public; the secret never leaves Secrets Manager. */
export interface AdminKeyData {
  KeyId: string;
}

/** Shorter secrets are refused: an admin key must not be guessable. */
export const MIN_ADMIN_SECRET_LENGTH = 32;

export interface BootstrapDependencies {
  readSecret(secretId: string): Promise<string>;
  ensureAdminKey(secret: string, principal?: string): Promise<{ keyId: string }>;
  logger: Logger;
}

export type BootstrapHandler = (
  event: CloudFormationCustomResourceEvent<AdminKeyProperties>,
) => Promise<CdkCustomResourceResponse<AdminKeyData>>;

/**
 * The `onEvent` handler of the admin-key custom resource (CDK `Provider`
 * framework): on Create and Update it reads the secret and registers it as an
 * admin key (idempotent: the same secret keeps its key id, which becomes the
 * physical id). Delete does nothing, so the admin is never locked out by a
 * replacement. The secret is never logged nor returned.
 */
export function createBootstrapHandler(dependencies: () => BootstrapDependencies): BootstrapHandler {
  let deps: BootstrapDependencies | undefined;
  return async (event) => {
    deps ??= dependencies();
    if (event.RequestType === 'Delete') {
      deps.logger.info('admin key left in place', { requestType: event.RequestType, keyId: event.PhysicalResourceId });
      return { PhysicalResourceId: event.PhysicalResourceId };
    }
    const secretId = event.ResourceProperties.SecretId;
    if (!secretId) throw new Error('the SecretId property is required');
    const secret = await deps.readSecret(secretId);
    if (secret.length < MIN_ADMIN_SECRET_LENGTH) {
      throw new Error(`the admin key in ${secretId} is shorter than ${MIN_ADMIN_SECRET_LENGTH} characters`);
    }
    const principal = event.ResourceProperties.AdminPrincipal;
    const { keyId } = await (principal ? deps.ensureAdminKey(secret, principal) : deps.ensureAdminKey(secret));
    deps.logger.info('admin key registered', { requestType: event.RequestType, keyId });
    return { PhysicalResourceId: keyId, Data: { KeyId: keyId } };
  };
}

function defaultDependencies(): BootstrapDependencies {
  const config = loadConfig();
  const keys = new ApiKeyStore(createDocumentClient(config), config.tables.keys);
  const secrets = new SecretsManagerClient({ region: config.region });
  return {
    async readSecret(secretId) {
      const { SecretString } = await secrets.send(new GetSecretValueCommand({ SecretId: secretId }));
      if (!SecretString) throw new Error(`secret ${secretId} has no string value`);
      return SecretString;
    },
    ensureAdminKey: (secret, principal) => keys.ensureAdminKey(secret, principal),
    logger: defaultLogger(),
  };
}

export const handler: BootstrapHandler = createBootstrapHandler(defaultDependencies);
