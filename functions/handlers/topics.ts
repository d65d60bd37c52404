import { loadConfig } from '../config.js';
import { brookWiring, topicsApi } from '../wiring.js';

/** `/v1/topics` routes: create, list, describe, alter, delete. */
export const handler = topicsApi(brookWiring(loadConfig()));
