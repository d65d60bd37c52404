/**
 * Reading and writing many items or objects at once, with one behaviour
 * everywhere: every page is read (the SDK's own paginators), requests are
 * cut to the service's limits, and items the service hands back unprocessed
 * are sent again with exponential backoff and jitter; after
 * `MAX_UNPROCESSED_ROUNDS` rounds the call fails loudly with a retriable
 * `THROTTLED`, never silently.
 */
import { type ListObjectsV2CommandInput, paginateListObjectsV2, type S3Client, type _Object } from '@aws-sdk/client-s3';
import {
  BatchGetCommand,
  type BatchGetCommandInput,
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  TransactGetCommand,
  paginateQuery,
  paginateScan,
  type QueryCommandInput,
  type ScanCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { BrookError } from '../../protocol/errors.js';
import { translateConflictError } from './conflicts.js';
import { translateStorageError } from './errors.js';

/** DynamoDB's limits: 100 keys per BatchGetItem, 25 requests per BatchWriteItem. */
export const BATCH_GET_LIMIT = 100;
export const BATCH_WRITE_LIMIT = 25;
/** Rounds of sending unprocessed items again before giving up (about 2.5 s of backoff in all). */
export const MAX_UNPROCESSED_ROUNDS = 8;

type Item = Record<string, unknown>;
/** A `PutRequest` or `DeleteRequest` of BatchWriteItem, in the document client's native types. */
export type WriteRequest = { PutRequest: { Item: Item } } | { DeleteRequest: { Key: Item } };
/** What a BatchGetItem asks of one table besides its keys. */
export type GetOptions = Omit<NonNullable<BatchGetCommandInput['RequestItems']>[string], 'Keys'>;

/** Backoff before round `round` (1..): 10 ms doubling, capped at 640 ms, with full jitter. */
function backoff(round: number): Promise<void> {
  const ms = Math.min(640, 10 * 2 ** round) * Math.random();
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function gaveUp(what: string): BrookError {
  return new BrookError('THROTTLED', `storage left ${what} unprocessed after ${MAX_UNPROCESSED_ROUNDS} rounds; retry with backoff`);
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let i = 0; i < items.length; i += size) result.push(items.slice(i, i + size));
  return result;
}

/** Everything `take` finds on every page of a paginator, in order; storage errors translated. */
async function collect<Page, T>(pages: AsyncIterable<Page>, take: (page: Page) => readonly T[] | undefined): Promise<T[]> {
  const all: T[] = [];
  try {
    for await (const page of pages) all.push(...(take(page) ?? []));
  } catch (error) {
    throw translateStorageError(error);
  }
  return all;
}

/** Every item a query matches, across all its pages. */
export function queryAll<T = Item>(doc: DynamoDBDocumentClient, input: QueryCommandInput): Promise<T[]> {
  return collect(paginateQuery({ client: doc }, input), (page) => page.Items as T[] | undefined);
}

/** Every item a scan finds, across all its pages. */
export function scanAll<T = Item>(doc: DynamoDBDocumentClient, input: ScanCommandInput): Promise<T[]> {
  return collect(paginateScan({ client: doc }, input), (page) => page.Items as T[] | undefined);
}

/** Every object under a prefix, across all pages of ListObjectsV2. */
export function listAllObjects(s3: S3Client, input: Pick<ListObjectsV2CommandInput, 'Bucket' | 'Prefix' | 'MaxKeys'>): Promise<_Object[]> {
  return collect(paginateListObjectsV2({ client: s3 }, input), (page) => page.Contents);
}

/** Reads items by key from one table (any number of keys), in no particular order; missing items are left out. */
export async function batchGetAll<T = Item>(
  doc: DynamoDBDocumentClient,
  table: string,
  keys: readonly Item[],
  options: GetOptions = {},
): Promise<T[]> {
  const found = await batchGetTables(doc, { [table]: { ...options, Keys: keys } });
  return (found[table] ?? []) as T[];
}

/** Keys to read from one table, with what BatchGetItem asks of that table (consistency, projection). */
export type TableKeys = GetOptions & { Keys: readonly Item[] };

/**
 * Reads items by key from several tables at once: up to 100 keys in all is
 * one BatchGetItem, one round trip. Items come back by table, in no
 * particular order; missing items are left out.
 */
export async function batchGetTables(doc: DynamoDBDocumentClient, requests: Readonly<Record<string, TableKeys>>): Promise<Record<string, Item[]>> {
  const found: Record<string, Item[]> = Object.fromEntries(Object.keys(requests).map((table) => [table, []]));
  const all = Object.entries(requests).flatMap(([table, { Keys }]) => Keys.map((key) => ({ table, key })));
  try {
    for (const chunk of chunks(all, BATCH_GET_LIMIT)) {
      let pending: NonNullable<BatchGetCommandInput['RequestItems']> | undefined = requestItems(requests, chunk);
      for (let round = 0; pending && Object.keys(pending).length > 0; round++) {
        if (round === MAX_UNPROCESSED_ROUNDS) throw gaveUp(`${Object.values(pending).reduce((n, r) => n + (r.Keys?.length ?? 0), 0)} keys`);
        if (round > 0) await backoff(round);
        const result = await doc.send(new BatchGetCommand({ RequestItems: pending }));
        for (const [table, items] of Object.entries(result.Responses ?? {})) found[table]!.push(...(items as Item[]));
        // Sent again with each table's own options (consistency, projection), whatever the answer echoes.
        pending = resend(requests, result.UnprocessedKeys);
      }
    }
  } catch (error) {
    throw translateStorageError(error);
  }
  return found;
}

/** Items one `TransactGetItems` reads at most. */
export const TRANSACT_GET_LIMIT = 100;
/** Attempts of a `TransactGetItems` that collided with a transaction writing its items. */
const MAX_TRANSACT_GET_ATTEMPTS = 5;

/**
 * `batchGetTables`, but as one `TransactGetItems`: the items as they were at
 * one instant, never half of a transaction that wrote several of them (a
 * multi-partition fetch reads HEADs this way, docs/design.md, "Transactions").
 * Twice the read units of a consistent read. More keys than one call takes
 * are read with `batchGetTables` (not at one instant).
 */
export async function transactGetTables(doc: DynamoDBDocumentClient, requests: Readonly<Record<string, TableKeys>>): Promise<Record<string, Item[]>> {
  const all = Object.entries(requests).flatMap(([table, { Keys, ProjectionExpression, ExpressionAttributeNames }]) =>
    Keys.map((key) => ({ table, key, ProjectionExpression, ExpressionAttributeNames })),
  );
  if (all.length > TRANSACT_GET_LIMIT) return batchGetTables(doc, requests);
  const found: Record<string, Item[]> = Object.fromEntries(Object.keys(requests).map((table) => [table, []]));
  const TransactItems = all.map(({ table, key, ProjectionExpression, ExpressionAttributeNames }) => ({
    Get: { TableName: table, Key: key, ...(ProjectionExpression ? { ProjectionExpression } : {}), ...(ExpressionAttributeNames ? { ExpressionAttributeNames } : {}) },
  }));
  for (let attempt = 1; ; attempt++) {
    try {
      const result = await doc.send(new TransactGetCommand({ TransactItems }));
      (result.Responses ?? []).forEach((response, i) => {
        if (response.Item) found[all[i]!.table]!.push(response.Item as Item);
      });
      return found;
    } catch (error) {
      const conflict = (error as { name?: string }).name === 'TransactionCanceledException' || (error as { name?: string }).name === 'TransactionConflictException';
      if (!conflict || attempt >= MAX_TRANSACT_GET_ATTEMPTS) throw translateConflictError(error, 'these items are being written by a transaction; retry');
      await backoff(attempt);
    }
  }
}

/** The RequestItems that send `unprocessed` keys again, with their tables' options. */
function resend(
  requests: Readonly<Record<string, TableKeys>>,
  unprocessed: BatchGetCommandInput['RequestItems'] | undefined,
): NonNullable<BatchGetCommandInput['RequestItems']> | undefined {
  const keys = Object.entries(unprocessed ?? {}).flatMap(([table, { Keys }]) => (Keys ?? []).map((key) => ({ table, key: key as Item })));
  return keys.length > 0 ? requestItems(requests, keys) : undefined;
}

/** The RequestItems of one BatchGetItem: `chunk`'s keys, grouped by table, with each table's options. */
function requestItems(
  requests: Readonly<Record<string, TableKeys>>,
  chunk: readonly { table: string; key: Item }[],
): NonNullable<BatchGetCommandInput['RequestItems']> {
  const items: NonNullable<BatchGetCommandInput['RequestItems']> = {};
  for (const { table, key } of chunk) {
    const { Keys: _all, ...options } = requests[table]!;
    (items[table] ??= { ...options, Keys: [] }).Keys!.push(key);
  }
  return items;
}

/** Puts and deletes items of one table (any number of requests; at most one request per key per call). */
export async function batchWriteAll(doc: DynamoDBDocumentClient, table: string, requests: readonly WriteRequest[]): Promise<void> {
  try {
    for (const chunk of chunks(requests, BATCH_WRITE_LIMIT)) {
      let pending: WriteRequest[] | undefined = chunk;
      for (let round = 0; pending && pending.length > 0; round++) {
        if (round === MAX_UNPROCESSED_ROUNDS) throw gaveUp(`${pending.length} writes`);
        if (round > 0) await backoff(round);
        const result = await doc.send(new BatchWriteCommand({ RequestItems: { [table]: pending } }));
        pending = result.UnprocessedItems?.[table] as WriteRequest[] | undefined;
      }
    }
  } catch (error) {
    throw translateStorageError(error);
  }
}
