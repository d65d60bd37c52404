import { createHttpHandler, defineRoute } from '../http/httpHandler.js';
import { ok } from '../http/response.js';

/** `GET /v1/health`: no key, no storage call, so it costs nothing but the invocation. */
export const handler = createHttpHandler({
  routes: {
    'GET /v1/health': defineRoute({ public: true, handle: () => ok({ status: 'ok' }) }),
  },
});
