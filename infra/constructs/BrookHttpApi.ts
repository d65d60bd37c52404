import { Duration } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  CorsHttpMethod,
  HttpApi,
  HttpMethod,
  HttpNoneAuthorizer,
  HttpStage,
  LogGroupLogDestination,
  PayloadFormatVersion,
  type CorsPreflightOptions,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Metric as CwMetric, type Metric } from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { FilterPattern, LogGroup, MetricFilter } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { BROOK_METRICS_NAMESPACE } from '../../functions/layout/metrics.js';
import { logGroupDefaults } from './defaults.js';
import { PUBLIC_ROUTE_KEYS, routeKey, type FunctionName, type RouteDefinition } from '../../functions/layout/routes.js';
import type { ResolvedSettings } from '../settings.js';

/** Headers browsers may send and read (see `functions/http/middleware.ts`). */
const CORS_ALLOW_HEADERS = ['authorization', 'content-type', 'x-request-id'];
const CORS_EXPOSE_HEADERS = ['x-request-id'];

/** Routes that stay open whatever the `auth` setting (defined with the routes). */
export { PUBLIC_ROUTE_KEYS };

/**
 * One JSON line per request in the access log. `status` feeds the throttle
 * metric (HTTP APIs publish 4xx and 5xx, not 429 alone); `apiId` is its dimension.
 */
const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  apiId: '$context.apiId',
  routeKey: '$context.routeKey',
  status: '$context.status',
  ip: '$context.identity.sourceIp',
  requestTime: '$context.requestTimeEpoch',
  responseLength: '$context.responseLength',
  latency: '$context.responseLatency',
  integrationLatency: '$context.integrationLatency',
  error: '$context.error.message',
};

/** The metric the access log's 429 lines are counted into, per API (dimension `ApiId`). */
export const API_THROTTLED_METRIC = 'ApiThrottled';

export interface BrookHttpApiProps extends Pick<ResolvedSettings, 'throttle' | 'corsAllowedOrigins' | 'logRetention' | 'removalPolicy'> {
  /**
   * `iam` puts the AWS_IAM authorizer on every route, `$default` included,
   * except `PUBLIC_ROUTE_KEYS`; `apiKey` leaves authentication to the handlers.
   * @default 'apiKey'
   */
  readonly auth?: ResolvedSettings['auth'];
  /** The API's name in the console (not unique, not a physical id). */
  readonly apiName: string;
  readonly routes: readonly RouteDefinition[];
  /** The function behind each name that `routes` mention. */
  readonly handlers: Readonly<Partial<Record<FunctionName, IFunction>>>;
  /** Serves every request no route matches (the `$default` route). */
  readonly fallback: IFunction;
}

/**
 * The HTTP API (payload format 2.0): one route per row of `routes`, the
 * `$default` route to `fallback`, and a throttled `$default` stage.
 */
export class BrookHttpApi extends Construct {
  readonly httpApi: HttpApi;
  readonly stage: HttpStage;
  /** The access log of the `$default` stage: one JSON line per request. */
  readonly accessLog: LogGroup;

  constructor(scope: Construct, id: string, props: BrookHttpApiProps) {
    super(scope, id);
    const integrations = new Map<FunctionName, HttpLambdaIntegration>();
    const integrationFor = (name: FunctionName): HttpLambdaIntegration => {
      let integration = integrations.get(name);
      if (!integration) {
        const handler = props.handlers[name];
        if (!handler) throw new Error(`no function for "${name}", which a route refers to`);
        integration = lambdaIntegration(`${pascal(name)}Integration`, handler);
        integrations.set(name, integration);
      }
      return integration;
    };

    this.httpApi = new HttpApi(this, 'HttpApi', {
      apiName: props.apiName,
      description: 'Brook: topics, partitions and consumer groups over HTTPS',
      createDefaultStage: false,
      defaultIntegration: lambdaIntegration('FallbackIntegration', props.fallback),
      ...(props.auth === 'iam' ? { defaultAuthorizer: new HttpIamAuthorizer() } : {}),
      ...(props.corsAllowedOrigins.length > 0 ? { corsPreflight: corsOptions(props) } : {}),
    });
    this.accessLog = new LogGroup(this, 'AccessLog', logGroupDefaults(props));
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: props.throttle.rateLimit, burstLimit: props.throttle.burstLimit },
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLog),
        format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });
    new MetricFilter(this, 'ThrottledFilter', {
      logGroup: this.accessLog,
      filterPattern: FilterPattern.numberValue('$.status', '=', 429),
      metricNamespace: BROOK_METRICS_NAMESPACE,
      metricName: API_THROTTLED_METRIC,
      metricValue: '1',
      dimensions: { ApiId: '$.apiId' },
    });
    for (const route of props.routes) {
      this.httpApi.addRoutes({
        path: route.path,
        methods: [HttpMethod[route.method]],
        integration: integrationFor(route.function),
        ...(props.auth === 'iam' && PUBLIC_ROUTE_KEYS.includes(routeKey(route)) ? { authorizer: new HttpNoneAuthorizer() } : {}),
      });
    }
  }

  /** 429 responses (the stage's rate limit, and handlers answering THROTTLED), counted from the access log. */
  metricThrottled(): Metric {
    return new CwMetric({
      namespace: BROOK_METRICS_NAMESPACE,
      metricName: API_THROTTLED_METRIC,
      dimensionsMap: { ApiId: this.httpApi.apiId },
      statistic: 'Sum',
      period: Duration.minutes(5),
    });
  }

  /** The base URL of the API, ending in `/`. */
  get url(): string {
    return this.stage.url;
  }
}

function lambdaIntegration(id: string, handler: IFunction): HttpLambdaIntegration {
  return new HttpLambdaIntegration(id, handler, { payloadFormatVersion: PayloadFormatVersion.VERSION_2_0 });
}

function corsOptions(props: BrookHttpApiProps): CorsPreflightOptions {
  const methods = [...new Set(props.routes.map((route) => route.method))];
  return {
    allowOrigins: [...props.corsAllowedOrigins],
    allowMethods: [...methods.map((method) => CorsHttpMethod[method]), CorsHttpMethod.OPTIONS],
    allowHeaders: CORS_ALLOW_HEADERS,
    exposeHeaders: CORS_EXPOSE_HEADERS,
    maxAge: Duration.hours(1),
  };
}

function pascal(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}
