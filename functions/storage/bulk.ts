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
  paginateQuery,
  paginateScan,
  type QueryCommandInput,
  type ScanCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { BrookError } from '../../protocol/errors.js';
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
  const found: T[] = [];
  try {
    for (const chunk of chunks(keys, BATCH_GET_LIMIT)) {
      let pending: Item[] | undefined = chunk;
      for (let round = 0; pending && pending.length > 0; round++) {
        if (round === MAX_UNPROCESSED_ROUNDS) throw gaveUp(`${pending.length} keys`);
        if (round > 0) await backoff(round);
        const result = await doc.send(new BatchGetCommand({ RequestItems: { [table]: { ...options, Keys: pending } } }));
        found.push(...((result.Responses?.[table] ?? []) as T[]));
        pending = result.UnprocessedKeys?.[table]?.Keys as Item[] | undefined;
      }
    }
  } catch (error) {
    throw translateStorageError(error);
  }
  return found;
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
