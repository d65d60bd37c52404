import { loadConfig } from '../config.js';
import { brookWiring, subscriptionsApi } from '../wiring.js';

/** `/v1/subscriptions` routes: create, list, describe, alter, reset, delete. */
export const handler = subscriptionsApi(brookWiring(loadConfig()));
