import { SSMClient } from '@aws-sdk/client-ssm';
import type { CdkCustomResourceResponse, CloudFormationCustomResourceEvent } from 'aws-lambda';
import { newSecret } from '../auth/secrets.js';
import { loadConfig } from '../config.js';
import { defaultLogger, type Logger } from '../http/logger.js';
import { readOrCreate, ssmSecureParameter, type SecureParameter } from '../storage/secureParameter.js';
import { apiKeyStore, brookWiring } from '../wiring.js';

/** What the stack passes to the custom resource (`infra/constructs/AdminKeyBootstrap.ts`). */
export interface AdminKeyProperties {
  ServiceToken: string;
  /** Name of the SSM SecureString parameter that holds the admin key (made here when missing). */
  ParameterName: string;
  /** `'true'`: delete the parameter with the stack (a stage whose data goes with it). */
  DeleteParameterOnDelete?: string;
  /** Only there so that a new keys table re-runs the bootstrap; the table comes from `BROOK_KEYS_TABLE`. */
  KeysTableName?: string;
  /**
   * The admin key's principal (default `admin`). For a stage with `auth: 'iam'`,
   * an IAM role ARN: that role then gets the admin's rights over SigV4
   * (docs/access.md), since bearer keys are not used there.
   */
  AdminPrincipal?: string;
}

/** Readable in the template with `Fn::GetAtt`. Ids are public; the key itself never leaves the parameter. */
export interface AdminKeyData {
  KeyId: string;
}

/** Shorter keys are refused: an admin key must not be guessable. */
export const MIN_ADMIN_SECRET_LENGTH = 32;

/** Where the admin key is kept: an SSM SecureString (free, unlike a Secrets Manager secret's monthly price). */
export type AdminKeyParameter = SecureParameter;

export interface BootstrapDependencies {
  parameter: AdminKeyParameter;
  ensureAdminKey(secret: string, principal?: string): Promise<{ keyId: string }>;
  newSecret(): string;
  logger: Logger;
}

export type BootstrapHandler = (
  event: CloudFormationCustomResourceEvent<AdminKeyProperties>,
) => Promise<CdkCustomResourceResponse<AdminKeyData>>;

/**
 * The `onEvent` handler of the admin-key custom resource (CDK `Provider`
 * framework). On Create and Update it reads the admin key from its SSM
 * parameter, making the key and the parameter the first time, and registers
 * it as an admin key (idempotent: the same key keeps its key id, which becomes
 * the physical id). On Delete the key stays registered, so a replaced resource
 * never locks the admin out; the parameter goes only with a stage that deletes
 * its data. The key is never logged nor returned.
 */
export function createBootstrapHandler(dependencies: () => BootstrapDependencies): BootstrapHandler {
  let deps: BootstrapDependencies | undefined;
  return async (event) => {
    deps ??= dependencies();
    const name = event.ResourceProperties.ParameterName;
    if (event.RequestType === 'Delete') {
      if (event.ResourceProperties.DeleteParameterOnDelete === 'true' && name) await deps.parameter.delete(name);
      deps.logger.info('admin key left in place', { requestType: event.RequestType, keyId: event.PhysicalResourceId });
      return { PhysicalResourceId: event.PhysicalResourceId };
    }
    if (!name) throw new Error('the ParameterName property is required');
    const secret = await readOrCreate(deps.parameter, name, deps.newSecret);
    if (secret.length < MIN_ADMIN_SECRET_LENGTH) {
      throw new Error(`the admin key in ${name} is shorter than ${MIN_ADMIN_SECRET_LENGTH} characters`);
    }
    const principal = event.ResourceProperties.AdminPrincipal;
    const { keyId } = await (principal ? deps.ensureAdminKey(secret, principal) : deps.ensureAdminKey(secret));
    deps.logger.info('admin key registered', { requestType: event.RequestType, keyId, parameter: name });
    return { PhysicalResourceId: keyId, Data: { KeyId: keyId } };
  };
}

function defaultDependencies(): BootstrapDependencies {
  const config = loadConfig();
  const keys = apiKeyStore(brookWiring(config));
  return {
    parameter: ssmSecureParameter(new SSMClient({ region: config.region }), 'Brook admin API key: send it as "Authorization: Bearer <key>"'),
    ensureAdminKey: (secret, principal) => keys.ensureAdminKey(secret, principal),
    newSecret,
    logger: defaultLogger(),
  };
}

export const handler: BootstrapHandler = createBootstrapHandler(defaultDependencies);
