import type { FunctionName } from '../functions/layout/routes.js';
import type { TableName } from '../functions/layout/tables.js';

/** What a function may do with a table or the segment bucket. */
export type DataAccess = 'read' | 'readWrite';

/** The data a function touches. Everything not listed is out of its reach. */
export interface FunctionAccess {
  /** Checks the caller's API key, which needs read on the keys table. */
  readonly authenticates: boolean;
  readonly tables?: Readonly<Partial<Record<TableName, DataAccess>>>;
  readonly bucket?: DataAccess;
}

/**
 * Least privilege per function, as data. Adding a name to `FUNCTION_NAMES`
 * fails type-checking until it has a row here. Likely rows for the functions
 * still to come (their authors decide): produce `{ authenticates, tables: { topics: 'read', log: 'readWrite' } }`,
 * fetch `{ authenticates, tables: { topics: 'read', log: 'read' }, bucket: 'read' }`,
 * groups `{ authenticates, tables: { topics: 'read', log: 'read', groups: 'readWrite' } }`,
 * a compactor `{ authenticates: false, tables: { topics: 'readWrite', log: 'readWrite' }, bucket: 'readWrite' }`.
 */
export const FUNCTION_ACCESS: Readonly<Record<FunctionName, FunctionAccess>> = {
  health: { authenticates: false },
  fallback: { authenticates: false },
  // Serves the console's bundled files: no key, no table, no bucket.
  console: { authenticates: false },
  topics: { authenticates: true, tables: { topics: 'readWrite', log: 'read' } },
  // Producer registrations live in the topics table, hence write there; a transaction commits a group's offsets too.
  produce: { authenticates: true, tables: { topics: 'readWrite', log: 'readWrite', groups: 'readWrite' }, bucket: 'readWrite' },
  fetch: { authenticates: true, tables: { topics: 'read', log: 'read' }, bucket: 'read' },
  // Leases, plans and offsets live in the groups table; lag reads the log, and a reset to a timestamp may read a batch in S3.
  groups: { authenticates: true, tables: { groups: 'readWrite', topics: 'read', log: 'read' }, bucket: 'read' },
  // Subscriptions' settings and positions; describe reads the log's heads, a reset to a timestamp may read a batch in S3.
  subscriptions: { authenticates: true, tables: { subscriptions: 'readWrite', topics: 'read', log: 'read' }, bucket: 'read' },
  // Creates, lists and revokes keys: the keys table only.
  keys: { authenticates: true, tables: { keys: 'readWrite' } },
};

/**
 * Functions that need longer than the stage's timeout: a fetch may long-poll
 * for 20 s (docs/http.md, Fetch, `waitMs`), and API Gateway waits at most 30 s.
 */
export const FUNCTION_TIMEOUT_SECONDS: Readonly<Partial<Record<FunctionName, number>>> = {
  fetch: 29,
};

/** The table access a function gets: its own rows, plus read on the keys table when it authenticates. */
export function tableAccess(access: FunctionAccess): Partial<Record<TableName, DataAccess>> {
  const tables: Partial<Record<TableName, DataAccess>> = { ...access.tables };
  if (access.authenticates && tables.keys === undefined) tables.keys = 'read';
  return tables;
}

/**
 * The scheduled compactor: it rolls batches into segments and deletes what
 * retention and topic deletion leave, so it writes the log, the topics table
 * (deleted-topic markers) and the bucket. It serves no request: no keys.
 */
export const COMPACTOR_ACCESS: FunctionAccess = {
  authenticates: false,
  tables: { log: 'readWrite', topics: 'readWrite' },
  bucket: 'readWrite',
};

/**
 * The subscription dispatcher: it moves delivery positions (subscriptions
 * table), reads the records it delivers from the log and the bucket, parks
 * records that exhaust their retries by appending them to the `onFailure`
 * topic, and writes the records a target answers with in one transaction
 * with the delivery item it settles (batch puts and HEAD moves in the log,
 * the topics read first, a large batch's object put in the bucket, and
 * deleted when the transaction is refused). It writes with these rights of
 * its own, not a caller's key. It serves no request: no keys.
 */
export const DISPATCHER_ACCESS: FunctionAccess = {
  authenticates: false,
  tables: { subscriptions: 'readWrite', log: 'readWrite', topics: 'read' },
  bucket: 'readWrite',
};

/**
 * The function behind `Custom::BrookSubscription` (`BrookEventLog.subscribe()`):
 * it writes subscriptions' settings, and reads the topics and the log's heads
 * (and, for a start at a timestamp, a batch in the bucket) to fix where a new
 * subscription starts.
 */
export const SUBSCRIPTION_RESOURCE_ACCESS: FunctionAccess = {
  authenticates: false,
  tables: { subscriptions: 'readWrite', topics: 'read', log: 'read' },
  bucket: 'read',
};
