import { Match } from 'aws-cdk-lib/assertions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import { PUBLIC_ROUTE_KEYS, ROUTES, routeKey } from '../../functions/layout/routes.js';
import { getStageConfig } from '../../infra/config.js';
import { logicalId, STAGE_NAMES, synth, synthWith, type Synthesized, SYNTH_TIMEOUT_MS } from './synth.js';

// Tests here synthesize stacks not cached yet (other stages, changed settings): see SYNTH_TIMEOUT_MS.
vi.setConfig({ testTimeout: SYNTH_TIMEOUT_MS });

/** The logical id of the function a route key is integrated with. */
function integratedFunctionId(synthesized: Synthesized, key: string): string {
  const routes = Object.values(synthesized.resources).filter(
    (resource) => resource.Type === 'AWS::ApiGatewayV2::Route' && resource.Properties?.RouteKey === key,
  );
  expect(routes, `routes with key "${key}"`).toHaveLength(1);
  const target = routes[0]!.Properties?.Target as { 'Fn::Join': [string, [string, { Ref: string }]] };
  const integration = synthesized.resources[target['Fn::Join'][1][1].Ref]!;
  expect(integration.Properties).toMatchObject({ IntegrationType: 'AWS_PROXY', PayloadFormatVersion: '2.0' });
  return (integration.Properties?.IntegrationUri as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
}

describe('Construct: BrookHttpApi', () => {
  const synthesized = synth('dev');
  const { stack, template } = synthesized;
  const idOf = (fn: IFunction) => logicalId(stack, fn);

  it('is one HTTP API with one route per ROUTES row plus $default', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP', Name: 'brook-dev' });
    template.resourceCountIs('AWS::ApiGatewayV2::Route', ROUTES.length + 1);
  });

  const routeRows = ROUTES.map((route) => [routeKey(route), route.function] as const);
  it.each(routeRows)('routes %s to the %s function', (key, name) => {
    expect(integratedFunctionId(synthesized, key)).toBe(idOf(stack.functions[name]));
  });

  it('sends every other request to the fallback function', () => {
    expect(integratedFunctionId(synthesized, '$default')).toBe(idOf(stack.functions.fallback));
  });

  it('uses one integration per function and lets API Gateway invoke each routed function', () => {
    const routed = new Set([...ROUTES.map((route) => route.function), 'fallback' as const]);
    template.resourceCountIs('AWS::ApiGatewayV2::Integration', routed.size);
    for (const name of routed) {
      template.hasResourceProperties('AWS::Lambda::Permission', {
        Action: 'lambda:InvokeFunction',
        Principal: 'apigateway.amazonaws.com',
        FunctionName: { 'Fn::GetAtt': [idOf(stack.functions[name]), 'Arn'] },
      });
    }
  });

  it.each(STAGE_NAMES)('throttles the auto-deployed $default stage as configured for %s', (stageName) => {
    const { throttle } = getStageConfig(stageName);
    synth(stageName).template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: throttle.rateLimit, ThrottlingBurstLimit: throttle.burstLimit },
    });
  });

  it('allows the configured CORS origins in dev and has CORS off in prod', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      CorsConfiguration: Match.objectLike({
        AllowOrigins: [...getStageConfig('dev').corsAllowedOrigins],
        AllowHeaders: Match.arrayWith(['authorization', 'content-type']),
      }),
    });
    synth('prod').template.hasResourceProperties('AWS::ApiGatewayV2::Api', { CorsConfiguration: Match.absent() });
  });

  it('takes CORS origins from the stage config', () => {
    const { template: custom } = synthWith('prod', { corsAllowedOrigins: ['https://console.example.com'] });
    custom.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      CorsConfiguration: Match.objectLike({ AllowOrigins: ['https://console.example.com'], ExposeHeaders: ['x-request-id'] }),
    });
  });

  it.each(STAGE_NAMES)('logs every request of %s as one JSON line, with the stage retention', (stageName) => {
    // Prepare
    const { stack, template: stageTemplate, resources } = synth(stageName);
    const logGroupId = logicalId(stack, stack.api.accessLog);

    // Act
    const stage = Object.values(resources).find((resource) => resource.Type === 'AWS::ApiGatewayV2::Stage')!;
    const format = JSON.parse(stage.Properties?.AccessLogSettings.Format as string) as Record<string, string>;

    // Assess
    expect(stage.Properties?.AccessLogSettings.DestinationArn).toEqual({ 'Fn::GetAtt': [logGroupId, 'Arn'] });
    expect(format).toMatchObject({ requestId: '$context.requestId', status: '$context.status', apiId: '$context.apiId' });
    expect(resources[logGroupId]!.Properties?.RetentionInDays).toBe(getStageConfig(stageName).logRetention);
    stageTemplate.hasResourceProperties('AWS::Logs::MetricFilter', {
      LogGroupName: { Ref: logGroupId },
      FilterPattern: '{ $.status = 429 }',
      MetricTransformations: [
        Match.objectLike({ MetricNamespace: 'Brook', MetricName: 'ApiThrottled', MetricValue: '1', Dimensions: [{ Key: 'ApiId', Value: '$.apiId' }] }),
      ],
    });
  });
});

describe('The console on the stage\'s own API', () => {
  const synthesized = synth('dev');
  const { stack } = synthesized;
  const routeOf = (key: string) =>
    Object.values(synthesized.resources).find((resource) => resource.Type === 'AWS::ApiGatewayV2::Route' && resource.Properties?.RouteKey === key);

  it.each(['GET /console', 'GET /console/{proxy+}'])('routes %s to the console function, without an authorizer', (key) => {
    expect(PUBLIC_ROUTE_KEYS).toContain(key);
    expect(integratedFunctionId(synthesized, key)).toBe(logicalId(stack, stack.functions.console));
    const route = routeOf(key)!;
    expect(route.Properties?.AuthorizationType ?? 'NONE').toBe('NONE');
    expect(route.Properties?.AuthorizerId).toBeUndefined();
  });
});

describe('Setting: auth', () => {
  const routes = (synthesized: Synthesized) =>
    Object.values(synthesized.resources).filter((resource) => resource.Type === 'AWS::ApiGatewayV2::Route');

  it.each(STAGE_NAMES)('leaves authentication to the handlers (API keys) in %s', (stageName) => {
    for (const route of routes(synth(stageName))) {
      expect(route.Properties?.AuthorizationType ?? 'NONE', route.Properties?.RouteKey).toBe('NONE');
    }
  });

  it('puts the AWS_IAM authorizer on every route but the public ones (health, the console) with auth "iam"', () => {
    // Act
    const all = routes(synthWith('prod', { auth: 'iam', adminPrincipal: 'arn:aws:iam::123456789012:role/brook-operators' }));

    // Assess
    expect(all).toHaveLength(ROUTES.length + 1);
    for (const route of all) {
      const key = route.Properties?.RouteKey as string;
      expect(route.Properties?.AuthorizationType, key).toBe(PUBLIC_ROUTE_KEYS.includes(key) ? 'NONE' : 'AWS_IAM');
      if (PUBLIC_ROUTE_KEYS.includes(key)) expect(route.Properties?.AuthorizerId, key).toBeUndefined();
    }
    expect(all.map((route) => route.Properties?.RouteKey)).toContain('$default');
  });
});

