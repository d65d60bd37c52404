import { Arn, CustomResource, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Grant, PolicyStatement, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Provider } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import type { ResolvedSettings } from '../settings.js';
import { BrookFunction } from './BrookFunction.js';
import { logGroupDefaults, type FunctionStageSettings } from './defaults.js';

/** The CloudFormation type of the secret-key custom resource. */
export const SECRET_KEY_RESOURCE_TYPE = 'Custom::BrookSecretKey';

/** The parameter of a deployment named `name`: `/<name>/subscription-secret-key`. */
export function secretKeyParameterName(name: string): string {
  return `/${name}/subscription-secret-key`;
}

export interface SecretKeyBootstrapProps {
  readonly stage: FunctionStageSettings & Pick<ResolvedSettings, 'removalPolicy' | 'name'>;
}

/**
 * The key pair of webhook signing secrets (RSA-OAEP,
 * `functions/subscriptions/secretSealer.ts`): the private key, which only the
 * dispatcher reads, in an SSM SecureString parameter,
 * `/<name>/subscription-secret-key`, encrypted with the account's `aws/ssm`
 * key (so its reader needs no KMS grant); the public key, which the
 * subscriptions API seals with, as the custom resource's `PublicKey`.
 * CloudFormation cannot write a SecureString, so a custom resource's
 * function makes the key on its first run and never replaces it; the private
 * key never appears in the template, the outputs or a log. The parameter goes with the
 * stack only where the data does (removal policy DESTROY): the secrets in a
 * kept subscriptions table stay readable.
 */
export class SecretKeyBootstrap extends Construct {
  readonly parameterName: string;
  /** The parameter's ARN (what `grantRead` grants). */
  readonly parameterArn: string;
  readonly handler: BrookFunction;
  /** The public key that seals webhook secrets (SPKI DER, base64): not a secret, given to the subscriptions API. */
  readonly publicKey: string;

  constructor(scope: Construct, id: string, props: SecretKeyBootstrapProps) {
    super(scope, id);
    this.parameterName = secretKeyParameterName(props.stage.name);
    this.parameterArn = Arn.format({ service: 'ssm', resource: 'parameter', resourceName: this.parameterName.slice(1) }, Stack.of(this));

    this.handler = new BrookFunction(this, 'Handler', {
      handlerName: 'bootstrapSecretKey',
      description: 'Brook: makes the key that seals webhook secrets (CloudFormation custom resource)',
      stage: props.stage,
      timeout: Duration.minutes(1),
    });
    const fn = this.handler.lambdaFunction;
    fn.addToRolePolicy(
      new PolicyStatement({ actions: ['ssm:GetParameter', 'ssm:PutParameter', 'ssm:DeleteParameter'], resources: [this.parameterArn] }),
    );

    const provider = new Provider(this, 'Provider', {
      onEventHandler: fn,
      logGroup: new LogGroup(this, 'ProviderLogGroup', logGroupDefaults(props.stage)),
    });
    const resource = new CustomResource(this, 'Resource', {
      serviceToken: provider.serviceToken,
      resourceType: SECRET_KEY_RESOURCE_TYPE,
      properties: {
        ParameterName: this.parameterName,
        DeleteParameterOnDelete: String(props.stage.removalPolicy === RemovalPolicy.DESTROY),
      },
    });
    this.publicKey = resource.getAttString('PublicKey');
  }

  /** Lets `grantee` read the key: `ssm:GetParameter` on the parameter, nothing else. */
  grantRead(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({ grantee, actions: ['ssm:GetParameter'], resourceArns: [this.parameterArn] });
  }
}
