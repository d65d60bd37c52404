import { Duration, Stack } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  MathExpression,
  Metric,
  SearchExpression,
  TextWidget,
  TreatMissingData,
  type IMetric,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { BROOK_METRICS, BROOK_METRICS_NAMESPACE, SUBSCRIPTION_DIMENSION, type BrookMetricName } from '../../functions/layout/metrics.js';
import type { TableName } from '../../functions/layout/tables.js';
import type { ResolvedSettings } from '../settings.js';
import type { BrookHttpApi } from './BrookHttpApi.js';

/** Alarm periods: CloudWatch's standard resolution, and what the thresholds are written per. */
const PERIOD = Duration.minutes(5);
/** Lambda throttles in 5 minutes that fire a function's throttle alarm (reserved concurrency makes a few normal). */
export const LAMBDA_THROTTLES_PER_5_MINUTES = 10;
/** DynamoDB throttle events (read + write) in 5 minutes that fire a table's alarm. */
export const TABLE_THROTTLES_PER_5_MINUTES = 10;

export interface BrookMonitoringProps {
  /** Prefix of alarm names and the dashboard name; also the `service` dimension of Brook's own metrics. */
  readonly name: string;
  readonly alarms: ResolvedSettings['alarms'];
  readonly api: BrookHttpApi;
  /** Every function to watch (errors, throttles, duration, concurrency), by a short name. */
  readonly functions: Readonly<Record<string, IFunction>>;
  readonly tables: Readonly<Record<TableName, ITable>>;
}

/** The metrics that carry the `Subscription` dimension, as their names in `BROOK_METRICS`. */
type SubscriptionMetricName = {
  [K in BrookMetricName]: (typeof BROOK_METRICS)[K] extends { dimension: typeof SUBSCRIPTION_DIMENSION } ? K : never;
}[BrookMetricName];

/**
 * Alarms to one SNS topic (TLS only, published to by this deployment's
 * alarms; optionally with an e-mail subscription) and a
 * CloudWatch dashboard: the API, every function, every table, and Brook's
 * own metrics (EMF, `functions/layout/metrics.ts`), those of every
 * subscription included. `watchSubscription()` adds the alarms of one
 * subscription (`BrookEventLog.subscribe()` calls it).
 */
export class BrookMonitoring extends Construct {
  readonly alarmTopic: Topic;
  readonly dashboard: Dashboard;
  readonly alarms: Alarm[] = [];

  private readonly props: BrookMonitoringProps;

  constructor(scope: Construct, id: string, props: BrookMonitoringProps) {
    super(scope, id);
    this.props = props;
    // enforceSSL: a topic policy refuses any publish that does not come over TLS.
    this.alarmTopic = new Topic(this, 'AlarmTopic', { displayName: `${props.name} alarms`, enforceSSL: true });
    // A topic policy replaces SNS's default one, which let CloudWatch publish for the account's alarms:
    // allow it again, for this deployment's alarms only (their names start with `<name>-`).
    const stack = Stack.of(this);
    this.alarmTopic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowCloudWatchAlarms',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.alarmTopic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': `arn:${stack.partition}:cloudwatch:${stack.region}:${stack.account}:alarm:${props.name}-*` },
        },
      }),
    );
    if (props.alarms.email) this.alarmTopic.addSubscription(new EmailSubscription(props.alarms.email));

    const { api, alarms } = props;
    this.alarm('Api5xx', 'API answered 5xx', api.httpApi.metricServerError({ period: PERIOD, statistic: 'Sum' }), alarms.api5xxPer5Minutes);
    this.alarm('ApiThrottles', 'API answered 429 (stage rate limit or DynamoDB throttling)', api.metricThrottled(), alarms.apiThrottlesPer5Minutes);
    for (const [name, fn] of Object.entries(props.functions)) {
      this.alarm(`${pascal(name)}Errors`, `${name} function failed (crash, timeout or unhandled error)`, fn.metricErrors({ period: PERIOD, statistic: 'Sum' }), 1);
      this.alarm(`${pascal(name)}Throttles`, `${name} function was throttled`, fn.metricThrottles({ period: PERIOD, statistic: 'Sum' }), LAMBDA_THROTTLES_PER_5_MINUTES);
    }
    // Lag: no finished sweep for `compactorLagHours` (a stuck, failing or unscheduled compactor). Hourly
    // periods: one sweep a day breaks any run of `compactorLagHours` empty hours.
    const lagHours = Math.max(1, Math.ceil(alarms.compactorLagHours));
    this.alarm('CompactorLag', `no compactor sweep finished in ${lagHours} hours`, this.brookMetric('compactorSweeps', 'Sum', Duration.hours(1)), 1, {
      comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: lagHours,
      treatMissingData: TreatMissingData.BREACHING,
    });
    for (const [name, table] of Object.entries(props.tables) as [TableName, ITable][]) {
      this.alarm(`${pascal(name)}TableThrottles`, `DynamoDB throttled requests on the ${name} table`, tableThrottles(table, name), TABLE_THROTTLES_PER_5_MINUTES);
    }

    this.dashboard = new Dashboard(this, 'Dashboard', { dashboardName: props.name, defaultInterval: Duration.hours(3) });
    this.buildDashboard();
  }

  /** One of Brook's own metrics (namespace `Brook`, dimension `service`; and `Subscription` for a subscription's). */
  brookMetric(metric: BrookMetricName, statistic: 'Sum' | 'Average' | 'Maximum' | 'p99' = 'Sum', period: Duration = PERIOD, subscription?: string): Metric {
    return new Metric({
      namespace: BROOK_METRICS_NAMESPACE,
      metricName: BROOK_METRICS[metric].name,
      dimensionsMap: { service: this.props.name, ...(subscription !== undefined ? { [SUBSCRIPTION_DIMENSION]: subscription } : {}) },
      statistic,
      period,
    });
  }

  /**
   * The alarms of one subscription: its oldest record waited longer than
   * `alarms.subscriptionIteratorAgeMinutes` (delivery is stuck or behind),
   * and a delivery to its target failed (it is retried; the alarm clears
   * when deliveries succeed again). A subscription that sends nothing is fine.
   */
  watchSubscription(subscription: string): void {
    const minutes = this.props.alarms.subscriptionIteratorAgeMinutes;
    const alarmName = (suffix: string) => {
      const name = `${this.props.name}-subscription-${subscription}-${suffix}`;
      if (name.length > 255) throw new Error(`subscription "${subscription}": its alarm name would be longer than 255 characters (pass a shorter name)`);
      return name;
    };
    this.alarm(
      `Subscription-${subscription}-IteratorAge`,
      `subscription ${subscription}: a record waited more than ${minutes} minutes for delivery`,
      this.brookMetric('subscriptionIteratorAge', 'Maximum', PERIOD, subscription),
      Duration.minutes(minutes).toMilliseconds(),
      { alarmName: alarmName('iterator-age') },
    );
    this.alarm(
      `Subscription-${subscription}-Failures`,
      `subscription ${subscription}: deliveries to its target failed`,
      this.brookMetric('subscriptionFailures', 'Sum', PERIOD, subscription),
      1,
      { alarmName: alarmName('failures') },
    );
  }

  /** The console URL of the dashboard. */
  get dashboardUrl(): string {
    const region = Stack.of(this).region;
    return `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#dashboards:name=${this.props.name}`;
  }

  private alarm(
    id: string,
    description: string,
    metric: IMetric,
    threshold: number,
    options: { comparisonOperator?: ComparisonOperator; evaluationPeriods?: number; treatMissingData?: TreatMissingData; alarmName?: string } = {},
  ): void {
    const alarm = new Alarm(this, id, {
      alarmName: options.alarmName ?? `${this.props.name}-${kebab(id)}`,
      alarmDescription: `Brook ${this.props.name}: ${description}`,
      metric,
      threshold,
      evaluationPeriods: options.evaluationPeriods ?? 1,
      comparisonOperator: options.comparisonOperator ?? ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: options.treatMissingData ?? TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(new SnsAction(this.alarmTopic));
    alarm.addOkAction(new SnsAction(this.alarmTopic));
    this.alarms.push(alarm);
  }

  private buildDashboard(): void {
    const { api, functions, tables } = this.props;
    const http = api.httpApi;
    const fns = Object.entries(functions);
    const tbls = Object.entries(tables) as [TableName, ITable][];
    const graph = (title: string, left: IMetric[], right: IMetric[] = []) =>
      new GraphWidget({ title, left, right, width: 8, height: 6 });
    this.dashboard.addWidgets(new TextWidget({ markdown: `# Brook ${this.props.name}\nAPI, functions, tables and the event log. Alarms go to the SNS topic ${this.alarmTopic.topicName}.`, width: 24, height: 2 }));
    this.dashboard.addWidgets(
      graph('API requests', [http.metricCount({ period: PERIOD, statistic: 'Sum', label: 'requests' })]),
      graph('API latency (ms)', [
        http.metricLatency({ period: PERIOD, statistic: 'p50', label: 'p50' }),
        http.metricLatency({ period: PERIOD, statistic: 'p99', label: 'p99' }),
        http.metricIntegrationLatency({ period: PERIOD, statistic: 'p99', label: 'integration p99' }),
      ]),
      graph('API errors', [
        http.metricClientError({ period: PERIOD, statistic: 'Sum', label: '4xx' }),
        http.metricServerError({ period: PERIOD, statistic: 'Sum', label: '5xx' }),
        api.metricThrottled().with({ label: '429' }),
      ]),
    );
    this.dashboard.addWidgets(
      graph('Lambda duration p99 (ms)', fns.map(([name, fn]) => fn.metricDuration({ period: PERIOD, statistic: 'p99', label: name }))),
      graph('Lambda errors and throttles', [
        ...fns.map(([name, fn]) => fn.metricErrors({ period: PERIOD, statistic: 'Sum', label: `${name} errors` })),
        ...fns.map(([name, fn]) => fn.metricThrottles({ period: PERIOD, statistic: 'Sum', label: `${name} throttles` })),
      ]),
      graph('Lambda concurrency (max)', fns.map(([name, fn]) => fn.metric('ConcurrentExecutions', { period: PERIOD, statistic: 'Maximum', label: name }))),
    );
    this.dashboard.addWidgets(
      graph('DynamoDB consumed read units', tbls.map(([name, t]) => t.metricConsumedReadCapacityUnits({ period: PERIOD, statistic: 'Sum', label: name }))),
      graph('DynamoDB consumed write units', tbls.map(([name, t]) => t.metricConsumedWriteCapacityUnits({ period: PERIOD, statistic: 'Sum', label: name }))),
      graph('DynamoDB throttle events', tbls.map(([name, t]) => tableThrottles(t, name, name))),
    );
    this.dashboard.addWidgets(
      graph('Records produced and fetched', [this.brookMetric('producedRecords'), this.brookMetric('fetchedRecords')], [
        this.brookMetric('producedBytes'),
        this.brookMetric('fetchedBytes'),
      ]),
      graph('Consumer groups and transactions', [this.brookMetric('commits'), this.brookMetric('rebalances'), this.brookMetric('transactions')]),
      graph('Compactor', [this.brookMetric('compactorRuns'), this.brookMetric('compactorSweeps'), this.brookMetric('compactorFailures'), this.brookMetric('compactorBatchesRolled')], [
        this.brookMetric('compactorDuration', 'p99'),
      ]),
    );
    // Every subscription, those made with the API included: one line per subscription.
    this.dashboard.addWidgets(
      graph('Subscriptions: records delivered', [this.everySubscription('subscriptionDeliveries', 'Sum')]),
      graph('Subscriptions: failures, parked, dropped', [
        this.everySubscription('subscriptionFailures', 'Sum'),
        this.everySubscription('subscriptionParked', 'Sum'),
        this.everySubscription('subscriptionDropped', 'Sum'),
      ]),
      graph('Subscriptions: lag (records) and iterator age (ms)', [this.everySubscription('subscriptionLag', 'Maximum')], [
        this.everySubscription('subscriptionIteratorAge', 'Maximum'),
      ]),
    );
  }

  /** A subscription metric of every subscription of this deployment (a CloudWatch search: no list to keep up to date). */
  private everySubscription(metric: SubscriptionMetricName, statistic: 'Sum' | 'Maximum'): SearchExpression {
    const { name } = BROOK_METRICS[metric];
    return new SearchExpression({
      expression: `SEARCH('{${BROOK_METRICS_NAMESPACE},service,${SUBSCRIPTION_DIMENSION}} service="${this.props.name}" MetricName="${name}"', '${statistic}', ${PERIOD.toSeconds()})`,
      // A line per subscription, labelled with its name (a dynamic label).
      label: `${name} \${PROP('Dim.${SUBSCRIPTION_DIMENSION}')}`,
      period: PERIOD,
    });
  }
}

/** Read and write throttle events of a table (its indexes included), summed. */
function tableThrottles(table: ITable, name: TableName, label?: string): IMetric {
  // Ids are per table: one graph holds the expressions of every table.
  return new MathExpression({
    expression: `${name}Reads + ${name}Writes`,
    usingMetrics: {
      [`${name}Reads`]: table.metric('ReadThrottleEvents', { period: PERIOD, statistic: 'Sum' }),
      [`${name}Writes`]: table.metric('WriteThrottleEvents', { period: PERIOD, statistic: 'Sum' }),
    },
    period: PERIOD,
    ...(label ? { label } : {}),
  });
}

function pascal(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}

function kebab(id: string): string {
  return id.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}
