import { loadConfig } from '../config.js';
import { brookWiring, groupsApi } from '../wiring.js';

/** `/v1/groups` routes: join, heartbeat, leave, commit, offsets, reset, list, describe, delete. */
export const handler = groupsApi(brookWiring(loadConfig()));
