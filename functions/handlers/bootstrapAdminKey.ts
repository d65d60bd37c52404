import { DeleteParameterCommand, GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { CdkCustomResourceResponse, CloudFormationCustomResourceEvent } from 'aws-lambda';
import { newSecret } from '../auth/secrets.js';
import { loadConfig } from '../config.js';
import { defaultLogger, type Logger } from '../http/logger.js';
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
export interface AdminKeyParameter {
  /** The key in the parameter, or `undefined` when there is no such parameter. */
  read(name: string): Promise<string | undefined>;
  /** Writes a new parameter; `false` when one already exists (another run made it). */
  create(name: string, value: string): Promise<boolean>;
  delete(name: string): Promise<void>;
}

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
    const secret = await adminSecret(deps, name);
    if (secret.length < MIN_ADMIN_SECRET_LENGTH) {
      throw new Error(`the admin key in ${name} is shorter than ${MIN_ADMIN_SECRET_LENGTH} characters`);
    }
    const principal = event.ResourceProperties.AdminPrincipal;
    const { keyId } = await (principal ? deps.ensureAdminKey(secret, principal) : deps.ensureAdminKey(secret));
    deps.logger.info('admin key registered', { requestType: event.RequestType, keyId, parameter: name });
    return { PhysicalResourceId: keyId, Data: { KeyId: keyId } };
  };
}

/** The key in the parameter, made (once, whatever runs race) when there is none. */
async function adminSecret(deps: BootstrapDependencies, name: string): Promise<string> {
  const existing = await deps.parameter.read(name);
  if (existing !== undefined) return existing;
  const made = deps.newSecret();
  if (await deps.parameter.create(name, made)) return made;
  const winner = await deps.parameter.read(name);
  if (winner === undefined) throw new Error(`the admin key parameter ${name} exists but cannot be read`);
  return winner;
}

function ssmParameter(ssm: SSMClient): AdminKeyParameter {
  const named = (error: unknown, name: string) => (error as { name?: string } | undefined)?.name === name;
  return {
    async read(name) {
      try {
        const { Parameter } = await ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
        return Parameter?.Value;
      } catch (error) {
        if (named(error, 'ParameterNotFound')) return undefined;
        throw error;
      }
    },
    async create(name, value) {
      try {
        await ssm.send(
          new PutParameterCommand({
            Name: name,
            Value: value,
            Type: 'SecureString',
            Overwrite: false,
            Description: 'Brook admin API key: send it as "Authorization: Bearer <key>"',
          }),
        );
        return true;
      } catch (error) {
        if (named(error, 'ParameterAlreadyExists')) return false;
        throw error;
      }
    },
    async delete(name) {
      try {
        await ssm.send(new DeleteParameterCommand({ Name: name }));
      } catch (error) {
        if (!named(error, 'ParameterNotFound')) throw error;
      }
    },
  };
}

function defaultDependencies(): BootstrapDependencies {
  const config = loadConfig();
  const keys = apiKeyStore(brookWiring(config));
  return {
    parameter: ssmParameter(new SSMClient({ region: config.region })),
    ensureAdminKey: (secret, principal) => keys.ensureAdminKey(secret, principal),
    newSecret,
    logger: defaultLogger(),
  };
}

export const handler: BootstrapHandler = createBootstrapHandler(defaultDependencies);
