import { loadConfig } from '../config.js';
import { brookWiring, keysApi } from '../wiring.js';

/** `/v1/keys` routes: create, list, revoke. The same store checks the caller's key and manages keys. */
export const handler = keysApi(brookWiring(loadConfig()));
