import type { APIGatewayProxyEventV2WithIAMAuthorizer } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { Principal } from '../../functions/auth/ApiKeyStore.js';
import { isIamPrincipal, normalizeIamPrincipal } from '../../functions/auth/iam.js';
import { createHttpHandler, defineRoute } from '../../functions/http/httpHandler.js';
import { silentLogger } from '../../functions/http/logger.js';
import { ok } from '../../functions/http/response.js';
import { apiEvent, lambdaContext } from '../helpers/apiEvent.js';

const ROLE = 'arn:aws:iam::123456789012:role/OrdersReader';

describe('Function: normalizeIamPrincipal', () => {
  it('turns an assumed-role session into its role', () => {
    expect(normalizeIamPrincipal('arn:aws:sts::123456789012:assumed-role/OrdersReader/i-0abc')).toBe(ROLE);
    expect(normalizeIamPrincipal('arn:aws:sts::123456789012:assumed-role/OrdersReader/user@example.com')).toBe(ROLE);
    expect(normalizeIamPrincipal('arn:aws-cn:sts::123456789012:assumed-role/R/s')).toBe('arn:aws-cn:iam::123456789012:role/R');
  });

  it('drops the path of a role ARN, since an assumed-role ARN does not carry it', () => {
    expect(normalizeIamPrincipal('arn:aws:iam::123456789012:role/service-role/team/OrdersReader')).toBe(ROLE);
    expect(normalizeIamPrincipal(ROLE)).toBe(ROLE);
  });

  it('keeps users and anything else as they are', () => {
    expect(normalizeIamPrincipal('arn:aws:iam::123456789012:user/alice')).toBe('arn:aws:iam::123456789012:user/alice');
    expect(normalizeIamPrincipal('billing-service')).toBe('billing-service');
    expect(isIamPrincipal(ROLE)).toBe(true);
    expect(isIamPrincipal('billing-service')).toBe(false);
  });
});

describe('Middleware: authenticate, with an IAM authorizer in front', () => {
  // Prepare: one route that answers who called; IAM grants for one role only.
  const seen: string[] = [];
  const keys = {
    authenticate: async (secret: string): Promise<Principal | undefined> =>
      secret === 'good-key' ? { keyId: 'key_0000000000000001', principal: 'bearer-user', permissions: [{ resource: 'topic:orders', operations: ['read'] }] } : undefined,
    authenticateIam: async (arn: string): Promise<Principal | undefined> => {
      seen.push(arn);
      return normalizeIamPrincipal(arn) === ROLE ? { principal: ROLE, permissions: [{ resource: 'topic:orders', operations: ['read'] }] } : undefined;
    },
  };
  const routes = {
    'GET /v1/topics/{topic}': defineRoute({
      handle: ({ params, principal, authorize }) => {
        authorize({ type: 'topic', name: params.topic! }, 'read');
        return ok({ principal: principal?.principal });
      },
    }),
  };
  const handler = createHttpHandler({ routes, keys, logger: silentLogger });

  /** The payload 2.0 event API Gateway sends when its AWS_IAM authorizer accepted a SigV4 signature. */
  function iamEvent(topic: string, userArn: string, headers: Record<string, string> = {}): APIGatewayProxyEventV2WithIAMAuthorizer {
    const event = apiEvent({ method: 'GET', path: `/v1/topics/${topic}`, headers });
    return {
      ...event,
      requestContext: {
        ...event.requestContext,
        authorizer: {
          iam: {
            accessKey: 'ASIAEXAMPLE',
            accountId: '123456789012',
            callerId: 'AROAEXAMPLE:i-0abc',
            cognitoIdentity: null,
            principalOrgId: 'o-example',
            userArn,
            userId: 'AROAEXAMPLE:i-0abc',
          },
        },
      },
    };
  }

  const call = async (event: APIGatewayProxyEventV2WithIAMAuthorizer | ReturnType<typeof apiEvent>) => {
    const response = await handler(event, lambdaContext());
    return { status: response.statusCode, body: JSON.parse(response.body ?? 'null') };
  };

  it('lets the IAM caller in with the rights granted to its role', async () => {
    // Act
    const response = await call(iamEvent('orders', 'arn:aws:sts::123456789012:assumed-role/OrdersReader/i-0abc'));
    // Assess
    expect(response).toEqual({ status: 200, body: { principal: ROLE } });
    expect(seen.at(-1)).toBe('arn:aws:sts::123456789012:assumed-role/OrdersReader/i-0abc');
  });

  it('refuses what the grants do not cover with 403', async () => {
    const response = await call(iamEvent('payments', 'arn:aws:sts::123456789012:assumed-role/OrdersReader/i-0abc'));
    expect([response.status, response.body.error.code]).toEqual([403, 'FORBIDDEN']);
  });

  it('answers 403 FORBIDDEN to an IAM caller with no grants, even with a good bearer key beside it', async () => {
    const response = await call(iamEvent('orders', 'arn:aws:sts::123456789012:assumed-role/Stranger/s', { authorization: 'Bearer good-key' }));
    expect([response.status, response.body.error.code]).toEqual([403, 'FORBIDDEN']);
    expect(response.body.error.message).not.toContain('good-key');
  });

  it('still takes bearer keys when no IAM authorizer is in front', async () => {
    expect(await call(apiEvent({ method: 'GET', path: '/v1/topics/orders', apiKey: 'good-key' }))).toEqual({ status: 200, body: { principal: 'bearer-user' } });
    const missing = await call(apiEvent({ method: 'GET', path: '/v1/topics/orders' }));
    expect([missing.status, missing.body.error.code]).toEqual([401, 'UNAUTHENTICATED']);
  });

  it('refuses IAM callers with 403 when the handler has no IAM lookup', async () => {
    const bearerOnly = createHttpHandler({ routes, keys: { authenticate: keys.authenticate }, logger: silentLogger });
    const response = await bearerOnly(iamEvent('orders', 'arn:aws:sts::123456789012:assumed-role/OrdersReader/i-0abc'), lambdaContext());
    expect(response.statusCode).toBe(403);
  });
});
