import { Arn, CustomResource, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Provider } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import type { ResolvedSettings } from '../settings.js';
import { BrookFunction } from './BrookFunction.js';
import { logGroupDefaults, type FunctionStageSettings } from './defaults.js';

/** The CloudFormation type of the admin-key custom resource. */
export const ADMIN_KEY_RESOURCE_TYPE = 'Custom::BrookAdminKey';

export interface AdminKeyBootstrapProps {
  readonly stage: FunctionStageSettings & Pick<ResolvedSettings, 'removalPolicy' | 'name'>;
  /** The table API keys live in; the bootstrap function may read and put items there, nothing else. */
  readonly keysTable: ITable;
  /** What `loadConfig()` needs in the function (every `BROOK_*` table and bucket name). */
  readonly environment: Readonly<Record<string, string>>;
  /** The principal of the admin key (an IAM role ARN on an `auth: 'iam'` stage). @default 'admin' */
  readonly adminPrincipal?: string;
}

/**
 * The first admin API key of a deployment, kept in an SSM SecureString
 * parameter (`/<name>/admin-key`, encrypted with the account's `aws/ssm`
 * key). A standard parameter costs nothing a month, where a Secrets Manager
 * secret costs $0.40 whether used or not. CloudFormation cannot write a
 * SecureString, so the custom resource's function makes the key (256 random
 * bits) on its first run, stores it, and registers it in the keys table; the
 * key never appears in the template, the outputs or a log. The parameter goes
 * with the stack only where the data does (removal policy DESTROY); the
 * registered key always stays, so a replaced resource does not lock the
 * admin out.
 */
export class AdminKeyBootstrap extends Construct {
  /** Where the admin key is: `aws ssm get-parameter --name <it> --with-decryption`. */
  readonly parameterName: string;
  readonly handler: BrookFunction;
  /** The public id of the admin key (`key_…`). */
  readonly keyId: string;

  constructor(scope: Construct, id: string, props: AdminKeyBootstrapProps) {
    super(scope, id);
    this.parameterName = `/${props.stage.name}/admin-key`;

    this.handler = new BrookFunction(this, 'Handler', {
      handlerName: 'bootstrapAdminKey',
      description: 'Brook: registers the admin API key (CloudFormation custom resource)',
      stage: props.stage,
      environment: props.environment,
      timeout: Duration.minutes(1),
    });
    const fn = this.handler.lambdaFunction;
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['ssm:GetParameter', 'ssm:PutParameter', 'ssm:DeleteParameter'],
        resources: [
          Arn.format({ service: 'ssm', resource: 'parameter', resourceName: this.parameterName.slice(1) }, Stack.of(this)),
        ],
      }),
    );
    // ensureAdminKey: a consistent GetItem, then a PutItem when the key is new (in a transaction
    // with an UpdateItem of the grants item for an IAM principal), and the table's KMS key where
    // it has a customer-managed one (prod): DynamoDB needs the caller to be allowed to use it.
    props.keysTable.grant(fn, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem');
    props.keysTable.encryptionKey?.grantEncryptDecrypt(fn);

    const provider = new Provider(this, 'Provider', {
      onEventHandler: fn,
      logGroup: new LogGroup(this, 'ProviderLogGroup', logGroupDefaults(props.stage)),
    });
    const resource = new CustomResource(this, 'Resource', {
      serviceToken: provider.serviceToken,
      resourceType: ADMIN_KEY_RESOURCE_TYPE,
      // A change of either re-runs the bootstrap; the handler takes the table from its environment.
      properties: {
        ParameterName: this.parameterName,
        DeleteParameterOnDelete: String(props.stage.removalPolicy === RemovalPolicy.DESTROY),
        KeysTableName: props.keysTable.tableName,
        ...(props.adminPrincipal !== undefined ? { AdminPrincipal: props.adminPrincipal } : {}),
      },
    });
    this.keyId = resource.getAttString('KeyId');
  }
}
