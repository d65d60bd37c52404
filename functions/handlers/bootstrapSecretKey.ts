import { SSMClient } from '@aws-sdk/client-ssm';
import type { CdkCustomResourceResponse, CloudFormationCustomResourceEvent } from 'aws-lambda';
import { defaultLogger, type Logger } from '../http/logger.js';
import { readOrCreate, ssmSecureParameter, type SecureParameter } from '../storage/secureParameter.js';
import { newSecretKeyPair, publicKeyOf } from '../subscriptions/secretSealer.js';

/** What the stack passes to the custom resource (`infra/constructs/SecretKeyBootstrap.ts`). */
export interface SecretKeyProperties {
  ServiceToken: string;
  /** Name of the SSM SecureString parameter that holds the private key (made here when missing). */
  ParameterName: string;
  /** `'true'`: delete the parameter with the stack (a stage whose data goes with it). */
  DeleteParameterOnDelete?: string;
}

export interface SecretKeyDependencies {
  parameter: SecureParameter;
  /** A new private key, PKCS#8 DER in base64. */
  newKey(): string;
  logger: Logger;
}

export type SecretKeyHandler = (event: CloudFormationCustomResourceEvent<SecretKeyProperties>) => Promise<CdkCustomResourceResponse>;

/**
 * The `onEvent` handler of the secret-key custom resource (CDK `Provider`
 * framework). On Create and Update it makes sure the parameter holds a
 * private key (RSA-2048, PKCS#8 DER in base64), making it the first time and
 * never replacing one: the webhook secrets in the subscriptions table are
 * sealed for it. It answers the matching public key (`PublicKey`, SPKI DER
 * in base64), which the subscriptions API seals with. The parameter name is
 * the physical id. On Delete the parameter goes only with a stage that
 * deletes its data. The private key is never logged nor returned.
 */
export function createSecretKeyHandler(dependencies: () => SecretKeyDependencies): SecretKeyHandler {
  let deps: SecretKeyDependencies | undefined;
  return async (event) => {
    deps ??= dependencies();
    const name = event.ResourceProperties.ParameterName;
    if (event.RequestType === 'Delete') {
      const remove = event.ResourceProperties.DeleteParameterOnDelete === 'true' && Boolean(name);
      if (remove) await deps.parameter.delete(name);
      deps.logger.info(remove ? 'secret key deleted' : 'secret key left in place', { parameter: name });
      return { PhysicalResourceId: event.PhysicalResourceId };
    }
    if (!name) throw new Error('the ParameterName property is required');
    const key = await readOrCreate(deps.parameter, name, deps.newKey);
    let publicKey: string;
    try {
      publicKey = publicKeyOf(key);
    } catch {
      throw new Error(`the parameter ${name} must hold a private key (PKCS#8 DER) in base64`);
    }
    deps.logger.info('secret key in place', { requestType: event.RequestType, parameter: name });
    return { PhysicalResourceId: name, Data: { PublicKey: publicKey } };
  };
}

function defaultDependencies(): SecretKeyDependencies {
  return {
    parameter: ssmSecureParameter(
      new SSMClient({ region: process.env.AWS_REGION ?? 'us-east-1' }),
      'Brook: the private key that opens webhook signing secrets (RSA, PKCS#8 DER, base64)',
    ),
    newKey: () => newSecretKeyPair().privateKey,
    logger: defaultLogger(),
  };
}

export const handler: SecretKeyHandler = createSecretKeyHandler(defaultDependencies);
