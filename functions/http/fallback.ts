import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { BrookError } from '../../protocol/errors.js';
import { defineRoute, type RouteSpec } from './httpHandler.js';
import { matchRoute } from '../layout/routes.js';

/**
 * Answers what no route matched (API Gateway's `$default` route): 405 when
 * the path exists under another method (with an `Allow` header listing the
 * methods it serves), else 404. Needs no key: there is
 * nothing behind it.
 */
export function fallbackRoutes(): Record<string, RouteSpec<unknown, unknown>> {
  return {
    $default: defineRoute({
      public: true,
      handle({ event }) {
        const method = event.requestContext.http.method;
        const path = requestPath(event);
        const { allowedMethods } = matchRoute(method, path);
        if (allowedMethods.length > 0) {
          const error = new BrookError('METHOD_NOT_ALLOWED', `${method} is not allowed on ${path}; use ${allowedMethods.join(', ')}`, {
            allowed: allowedMethods,
          });
          // RFC 9110: a 405 must list the methods the path serves in `Allow`.
          return { status: error.status, body: error.toJSON(), headers: { allow: allowedMethods.join(', ') } };
        }
        throw new BrookError('NOT_FOUND', `no route ${method} ${path.slice(0, 300)}`);
      },
    }),
  };
}

function requestPath(event: APIGatewayProxyEventV2): string {
  return event.rawPath ?? event.requestContext.http.path;
}
