import { loadConfig } from '../config.js';
import { brookWiring, produceApi } from '../wiring.js';

/** `POST /v1/topics/{topic}/records` (JSON or binary batch) and `POST /v1/producers`. */
export const handler = produceApi(brookWiring(loadConfig()));
