import { fallbackRoutes } from '../http/fallback.js';
import { createHttpHandler } from '../http/httpHandler.js';

/** API Gateway's `$default` route: unknown paths and wrong methods. */
export const handler = createHttpHandler({ routes: fallbackRoutes() });
