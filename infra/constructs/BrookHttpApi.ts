import { Duration } from 'aws-cdk-lib';
import {
  CorsHttpMethod,
  HttpApi,
  HttpMethod,
  HttpStage,
  PayloadFormatVersion,
  type CorsPreflightOptions,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import type { FunctionName, RouteDefinition } from '../../functions/http/routes.js';
import type { StageConfig } from '../config.js';

/** Headers browsers may send and read (see `functions/http/middleware.ts`). */
const CORS_ALLOW_HEADERS = ['authorization', 'content-type', 'x-request-id'];
const CORS_EXPOSE_HEADERS = ['x-request-id'];

export interface BrookHttpApiProps extends Pick<StageConfig, 'throttle' | 'corsAllowedOrigins'> {
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
      ...(props.corsAllowedOrigins.length > 0 ? { corsPreflight: corsOptions(props) } : {}),
    });
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: props.throttle.rateLimit, burstLimit: props.throttle.burstLimit },
    });
    for (const route of props.routes) {
      this.httpApi.addRoutes({
        path: route.path,
        methods: [HttpMethod[route.method]],
        integration: integrationFor(route.function),
      });
    }
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
