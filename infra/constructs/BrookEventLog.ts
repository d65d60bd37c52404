import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { Bucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { CONFIG_ENV } from '../../functions/layout/env.js';
import { CONSOLE_BUILD_DIR } from '../paths.js';
import { FUNCTION_NAMES, ROUTES, type FunctionName } from '../../functions/layout/routes.js';
import type { TableName } from '../../functions/layout/tables.js';
import { FUNCTION_ACCESS, FUNCTION_TIMEOUT_SECONDS } from '../functionAccess.js';
import { resolveSettings, type BrookSettings, type ResolvedSettings } from '../settings.js';
import { AdminKeyBootstrap } from './AdminKeyBootstrap.js';
import { BrookCompactor } from './BrookCompactor.js';
import { BrookFunction } from './BrookFunction.js';
import { BrookHttpApi } from './BrookHttpApi.js';
import { BrookMonitoring } from './BrookMonitoring.js';
import { BrookSubscriptions } from './BrookSubscriptions.js';
import { BrookTables } from './BrookTables.js';
import { grantDataAccess } from './grants.js';
import { SegmentBucket } from './SegmentBucket.js';
import type { SubscribeOptions } from './SubscriptionRegistrar.js';

/**
 * The props of `BrookEventLog`: every setting of `BrookSettings`
 * (`infra/settings.ts`), each optional with a documented `@default`; the
 * defaults keep data (RETAIN, point-in-time recovery, deletion protection,
 * versioning), so `new BrookEventLog(this, 'Brook')` is production-safe.
 */
export type BrookEventLogProps = BrookSettings;

export type { SubscribeOptions } from './SubscriptionRegistrar.js';

/**
 * One complete Brook: DynamoDB tables, the segment bucket and its access-log
 * bucket, one Lambda per handler with least-privilege grants
 * (`FUNCTION_ACCESS`, KMS use included where the data is encrypted with the
 * deployment's key), the HTTP API, the
 * compactor (run by appends through the log table's stream, and a daily
 * sweep), subscriptions (push delivery to functions and webhooks: the
 * dispatcher, see `BrookSubscriptions` and `subscribe()`), the admin key in
 * an SSM SecureString, and (with `monitoring`) alarms to an SNS topic and a
 * dashboard. Embed it in any stack:
 *
 * ```ts
 * const brook = new BrookEventLog(this, 'Brook', { name: 'events', alarms: { email: 'ops@example.com' } });
 * new CfnOutput(this, 'EventsUrl', { value: brook.api.url });
 * ```
 *
 * Physical names are left to CloudFormation except the API, alarm and
 * dashboard names, which start with `name` (so two instances in one account
 * need two names).
 */
export class BrookEventLog extends Construct {
  /** The settings in force, defaults filled in. */
  readonly settings: ResolvedSettings;
  readonly tables: Readonly<Record<TableName, Table>>;
  readonly bucket: Bucket;
  /** The segment bucket's server access logs. */
  readonly accessLogBucket: Bucket;
  /**
   * The deployment's customer-managed KMS key (`tableEncryption: 'customer-managed'` only):
   * it encrypts the tables and the segment bucket.
   */
  readonly tableKey?: Key;
  readonly functions: Readonly<Record<FunctionName, NodejsFunction>>;
  readonly api: BrookHttpApi;
  readonly compactor: BrookCompactor;
  /** Push delivery: the dispatcher, its stream trigger, wake state machine and sweep, and the webhook secret key. */
  readonly subscriptions: BrookSubscriptions;
  readonly adminKey: AdminKeyBootstrap;
  /** Alarms and dashboard; `undefined` with `monitoring: false`. */
  readonly monitoring: BrookMonitoring | undefined;

  constructor(scope: Construct, id: string, props: BrookEventLogProps = {}) {
    super(scope, id);
    const settings = resolveSettings(props);
    this.settings = settings;
    checkSettings(settings);

    if (settings.tableEncryption === 'customer-managed') {
      this.tableKey = new Key(this, 'TableKey', {
        description: `Brook ${settings.name}: encryption at rest of the DynamoDB tables and the segment bucket`,
        enableKeyRotation: true,
        // A deleted key makes retained tables and segments unreadable: the key stays as long as they do.
        removalPolicy: settings.removalPolicy === RemovalPolicy.DESTROY ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
        pendingWindow: Duration.days(30),
      });
    }
    const tables = new BrookTables(this, 'Tables', { ...settings, ...(this.tableKey ? { encryptionKey: this.tableKey } : {}) });
    const segments = new SegmentBucket(this, 'Segments', { ...settings, ...(this.tableKey ? { encryptionKey: this.tableKey } : {}) });
    this.tables = tables.tables;
    this.bucket = segments.bucket;
    this.accessLogBucket = segments.accessLogBucket;
    const environment = { ...tables.environment(), ...segments.environment() };

    const functions = {} as Record<FunctionName, NodejsFunction>;
    for (const name of FUNCTION_NAMES) {
      const timeout = FUNCTION_TIMEOUT_SECONDS[name];
      const reserved = settings.reservedConcurrency[name];
      const { lambdaFunction } = new BrookFunction(this, `${pascal(name)}Function`, {
        handlerName: name,
        description: `Brook ${name} handler (${settings.name})`,
        stage: settings,
        environment,
        ...(timeout ? { timeout: Duration.seconds(timeout) } : {}),
        ...(reserved !== undefined ? { reservedConcurrentExecutions: reserved } : {}),
        // The console's files travel in its function's bundle (docs/deploy.md, "Console").
        ...(name === 'console' ? { bundleDirectories: { console: CONSOLE_BUILD_DIR } } : {}),
      });
      grantDataAccess(lambdaFunction, FUNCTION_ACCESS[name], this.tables, this.bucket);
      functions[name] = lambdaFunction;
    }
    this.functions = functions;

    this.api = new BrookHttpApi(this, 'Api', {
      apiName: settings.name,
      routes: ROUTES,
      handlers: functions,
      fallback: functions.fallback,
      throttle: settings.throttle,
      corsAllowedOrigins: settings.corsAllowedOrigins,
      auth: settings.auth,
      logRetention: settings.logRetention,
      removalPolicy: settings.removalPolicy,
    });

    this.compactor = new BrookCompactor(this, 'Compactor', {
      stage: settings,
      environment,
      tables: this.tables,
      bucket: this.bucket,
    });

    this.subscriptions = new BrookSubscriptions(this, 'Subscriptions', {
      stage: settings,
      environment,
      tables: this.tables,
      bucket: this.bucket,
    });
    // The subscriptions API seals the secrets of the webhooks it creates with the secret key.
    // The API seals webhook secrets with the public key; it cannot open one.
    functions.subscriptions.addEnvironment(CONFIG_ENV.secretPublicKey, this.subscriptions.secretKey.publicKey);

    this.adminKey = new AdminKeyBootstrap(this, 'AdminKey', {
      stage: settings,
      keysTable: this.tables.keys,
      environment,
      ...(settings.adminPrincipal !== undefined ? { adminPrincipal: settings.adminPrincipal } : {}),
    });

    this.monitoring = settings.monitoring
      ? new BrookMonitoring(this, 'Monitoring', {
          name: settings.name,
          alarms: settings.alarms,
          api: this.api,
          functions: { ...functions, compactor: this.compactor.lambdaFunction, dispatcher: this.subscriptions.dispatcher },
          tables: this.tables,
        })
      : undefined;
  }

  /**
   * Delivers the records of `topic` to `target`, as
   * `fn.addEventSource(new KinesisEventSource(...))` would from a stream: the
   * dispatcher may invoke that function (and no other), and the subscription
   * is made, altered and deleted with the stack (a `Custom::BrookSubscription`).
   * With `monitoring`, it gets an iterator-age alarm (`alarms.subscriptionIteratorAgeMinutes`)
   * and a failures alarm. Returns the subscription's name.
   *
   * Topics are made with the API, not by the stack: `topic` (and `onFailure`)
   * must exist when the stack deploys, or the deploy fails saying so. Create
   * them first (`brook topics create`).
   *
   * ```ts
   * brook.subscribe('orders', ordersHandler, { batchSize: 50, onFailure: 'orders-failed' });
   * ```
   */
  subscribe(topic: string, target: IFunction, options: SubscribeOptions = {}): string {
    const name = this.subscriptions.subscribe(topic, target, options);
    this.monitoring?.watchSubscription(name);
    return name;
  }
}

/** Refuses settings that cannot deploy, before CloudFormation does (minutes later). */
function checkSettings(settings: ResolvedSettings): void {
  if (!/^[a-z][a-z0-9-]{0,38}$/.test(settings.name)) {
    throw new Error(`BrookEventLog: name "${settings.name}" must be lower case letters, digits and dashes (at most 39)`);
  }
  if (settings.autoDeleteObjects && settings.removalPolicy !== RemovalPolicy.DESTROY) {
    throw new Error('BrookEventLog: autoDeleteObjects needs removalPolicy DESTROY (it would empty a retained bucket)');
  }
  const { rateLimit, burstLimit } = settings.throttle;
  if (!(rateLimit > 0 && burstLimit > 0)) throw new Error('BrookEventLog: throttle rateLimit and burstLimit must be positive');
  for (const [name, value] of Object.entries(settings.reservedConcurrency)) {
    if (!Number.isInteger(value) || value! < 1) throw new Error(`BrookEventLog: reservedConcurrency.${name} must be a positive integer`);
  }
  const lag = settings.alarms.compactorLagHours;
  if (!(Number.isInteger(lag) && lag >= 24 && lag <= 168)) {
    // The sweep runs once a day: a shorter bound would keep the alarm firing; CloudWatch allows at most 7 days.
    throw new Error('BrookEventLog: alarms.compactorLagHours must be a whole number of hours from 24 to 168');
  }
  const age = settings.alarms.subscriptionIteratorAgeMinutes;
  if (!(Number.isInteger(age) && age >= 1)) throw new Error('BrookEventLog: alarms.subscriptionIteratorAgeMinutes must be a whole number of minutes, at least 1');
  if (settings.auth === 'iam' && !/^arn:aws[a-z-]*:iam::\d{12}:role\/.+/.test(settings.adminPrincipal ?? '')) {
    // Bearer keys never pass the IAM authorizer: without an IAM admin nobody could create keys or grants.
    throw new Error("BrookEventLog: auth 'iam' needs adminPrincipal, the ARN of the IAM role that administers the stage");
  }
}

function pascal(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}
