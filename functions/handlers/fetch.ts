import { loadConfig } from '../config.js';
import { brookWiring, fetchApi } from '../wiring.js';

/** Fetch one partition, `POST /v1/fetch` for many, and offsets by time. */
export const handler = fetchApi(brookWiring(loadConfig()));
