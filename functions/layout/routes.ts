/**
 * Every route of the HTTP API and the Lambda function that serves it, as plain
 * data. The CDK stack creates one API Gateway route per row; the local server
 * matches requests against the same rows. A request that matches no row goes
 * to the `fallback` function (404 NOT_FOUND, or 405 METHOD_NOT_ALLOWED when
 * the path is known but the method is not).
 */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** One Lambda function per name; its entry is `functions/handlers/<name>.ts`. */
export const FUNCTION_NAMES = ['health', 'topics', 'produce', 'fetch', 'groups', 'subscriptions', 'keys', 'console', 'fallback'] as const;
export type FunctionName = (typeof FUNCTION_NAMES)[number];

export interface RouteDefinition {
  readonly method: HttpMethod;
  /**
   * API Gateway path template, parameters in braces: `/v1/topics/{topic}`; a
   * last `{name+}` is greedy (the rest of the path, slashes included).
   */
  readonly path: string;
  readonly function: Exclude<FunctionName, 'fallback'>;
}

export const ROUTES: readonly RouteDefinition[] = [
  { method: 'GET', path: '/v1/health', function: 'health' },
  { method: 'POST', path: '/v1/topics', function: 'topics' },
  { method: 'GET', path: '/v1/topics', function: 'topics' },
  { method: 'GET', path: '/v1/topics/{topic}', function: 'topics' },
  { method: 'PATCH', path: '/v1/topics/{topic}', function: 'topics' },
  { method: 'DELETE', path: '/v1/topics/{topic}', function: 'topics' },
  { method: 'POST', path: '/v1/topics/{topic}/records', function: 'produce' },
  { method: 'POST', path: '/v1/producers', function: 'produce' },
  { method: 'POST', path: '/v1/transactions', function: 'produce' },
  { method: 'GET', path: '/v1/topics/{topic}/partitions/{partition}/records', function: 'fetch' },
  { method: 'POST', path: '/v1/fetch', function: 'fetch' },
  { method: 'GET', path: '/v1/topics/{topic}/partitions/{partition}/offsets', function: 'fetch' },
  { method: 'GET', path: '/v1/groups', function: 'groups' },
  { method: 'GET', path: '/v1/groups/{group}', function: 'groups' },
  { method: 'DELETE', path: '/v1/groups/{group}', function: 'groups' },
  { method: 'POST', path: '/v1/groups/{group}/members', function: 'groups' },
  { method: 'POST', path: '/v1/groups/{group}/members/{memberId}/heartbeat', function: 'groups' },
  { method: 'DELETE', path: '/v1/groups/{group}/members/{memberId}', function: 'groups' },
  { method: 'POST', path: '/v1/groups/{group}/offsets', function: 'groups' },
  { method: 'GET', path: '/v1/groups/{group}/offsets', function: 'groups' },
  { method: 'POST', path: '/v1/groups/{group}/offsets/reset', function: 'groups' },
  { method: 'POST', path: '/v1/subscriptions', function: 'subscriptions' },
  { method: 'GET', path: '/v1/subscriptions', function: 'subscriptions' },
  { method: 'GET', path: '/v1/subscriptions/{name}', function: 'subscriptions' },
  { method: 'PATCH', path: '/v1/subscriptions/{name}', function: 'subscriptions' },
  { method: 'DELETE', path: '/v1/subscriptions/{name}', function: 'subscriptions' },
  { method: 'POST', path: '/v1/subscriptions/{name}/reset', function: 'subscriptions' },
  { method: 'POST', path: '/v1/keys', function: 'keys' },
  { method: 'GET', path: '/v1/keys', function: 'keys' },
  { method: 'DELETE', path: '/v1/keys/{keyId}', function: 'keys' },
  // The Brook Console's files (docs/console.md), outside /v1: not API routes, no key.
  { method: 'GET', path: '/console', function: 'console' },
  { method: 'GET', path: '/console/{proxy+}', function: 'console' },
];

/**
 * Routes open to anyone whatever the `auth` setting: the health check of load
 * balancers and probes, and the console's files (the console holds no data;
 * it asks for a key and sends it with each API call).
 */
export const PUBLIC_ROUTE_KEYS: readonly string[] = ['GET /v1/health', 'GET /console', 'GET /console/{proxy+}'];

/** `"POST /v1/topics"`: the API Gateway route key of a route. */
export function routeKey(route: Pick<RouteDefinition, 'method' | 'path'>): string {
  return `${route.method} ${route.path}`;
}

function templateToRegExp(path: string): { pattern: RegExp; names: string[] } {
  const names: string[] = [];
  const source = path
    .split('/')
    .map((segment) => {
      const match = /^\{(\w+)(\+?)\}$/.exec(segment);
      if (!match) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(match[1]!);
      return match[2] ? '(.+)' : '([^/]+)';
    })
    .join('/');
  return { pattern: new RegExp(`^${source}$`), names };
}

const COMPILED = ROUTES.map((route) => ({ route, ...templateToRegExp(route.path) }));

export interface RouteMatch {
  route: RouteDefinition;
  pathParameters: Record<string, string>;
}

/**
 * Finds the route for a request, as API Gateway would. Path parameters are
 * URL-decoded. Returns `undefined` when nothing matches; `allowedMethods` then
 * tells whether the path is known under other methods.
 */
export function matchRoute(
  method: string,
  path: string,
): { match?: RouteMatch; allowedMethods: HttpMethod[] } {
  const allowedMethods: HttpMethod[] = [];
  for (const { route, pattern, names } of COMPILED) {
    const found = pattern.exec(path);
    if (!found) continue;
    if (route.method !== method.toUpperCase()) {
      allowedMethods.push(route.method);
      continue;
    }
    const pathParameters: Record<string, string> = {};
    names.forEach((name, index) => {
      const raw = found[index + 1]!;
      let value = raw;
      try {
        value = decodeURIComponent(raw);
      } catch {
        // Malformed escapes stay as they came; validation refuses them.
      }
      pathParameters[name] = value;
    });
    return { match: { route, pathParameters }, allowedMethods };
  }
  return { allowedMethods };
}
