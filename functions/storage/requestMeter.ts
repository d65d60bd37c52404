import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Counts what storage requests cost, as AWS bills them: DynamoDB read and
 * write request units (from the `ConsumedCapacity` each call reports) and S3
 * requests by kind. DynamoDB Local does not report a `TransactWriteItems` as
 * AWS bills it (sometimes twice the units, sometimes a fraction), so against
 * it a transaction's units are counted from its items
 * (`transactionWriteUnits`). Benchmarks and metrics read it; it never changes
 * what a request does.
 */
export interface RequestCounts {
  dynamoDbReadUnits: number;
  dynamoDbWriteUnits: number;
  dynamoDbRequests: number;
  s3Puts: number;
  s3Gets: number;
  s3Lists: number;
  s3Deletes: number;
}

export function emptyCounts(): RequestCounts {
  return { dynamoDbReadUnits: 0, dynamoDbWriteUnits: 0, dynamoDbRequests: 0, s3Puts: 0, s3Gets: 0, s3Lists: 0, s3Deletes: 0 };
}

/** One meter per process, shared by every client created in it (the local stack runs all handlers in one). */
const meter: RequestCounts = ((globalThis as { __brookRequestMeter?: RequestCounts }).__brookRequestMeter ??= emptyCounts());

export function requestCounts(): RequestCounts {
  return { ...meter };
}

export function resetRequestCounts(): void {
  Object.assign(meter, emptyCounts());
}

interface Capacity {
  CapacityUnits?: number;
  ReadCapacityUnits?: number;
  WriteCapacityUnits?: number;
}

const READ_COMMANDS = new Set(['GetItemCommand', 'QueryCommand', 'ScanCommand', 'BatchGetItemCommand', 'TransactGetItemsCommand']);

export function recordDynamoDbCall(commandName: string, consumed: Capacity | Capacity[] | undefined): void {
  meter.dynamoDbRequests++;
  const list = consumed === undefined ? [] : Array.isArray(consumed) ? consumed : [consumed];
  for (const capacity of list) {
    const units = capacity.CapacityUnits ?? (capacity.ReadCapacityUnits ?? 0) + (capacity.WriteCapacityUnits ?? 0);
    if (READ_COMMANDS.has(commandName)) meter.dynamoDbReadUnits += units;
    else meter.dynamoDbWriteUnits += units;
  }
}

/** A value's size as DynamoDB counts it toward an item (documents: native values, as the document client takes them). */
function attributeSize(value: unknown): number {
  if (value === null || value === undefined || typeof value === 'boolean') return 1;
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (typeof value === 'number' || typeof value === 'bigint') return Math.ceil(String(value).replace(/[-.]/g, '').length / 2) + 1;
  if (value instanceof Uint8Array) return value.byteLength;
  if (Array.isArray(value) || value instanceof Set) return 3 + [...value].reduce((sum: number, v) => sum + attributeSize(v), 0);
  return 3 + Object.entries(value as object).reduce((sum, [name, v]) => sum + Buffer.byteLength(name) + attributeSize(v), 0);
}

interface TransactWriteInput {
  TransactItems?: { Put?: { Item?: object }; Update?: { Key?: object; ExpressionAttributeValues?: object }; Delete?: { Key?: object }; ConditionCheck?: object }[];
}

/**
 * The write units AWS bills for a `TransactWriteItems`: two per started KB of
 * each item written. A put's item is in the request; an update's new item is
 * not, so it is counted from its key and the values it sets (Brook's updates
 * set nearly every attribute of the items they change). A condition check
 * costs like a read, not counted here.
 */
export function transactionWriteUnits(input: TransactWriteInput): number {
  let units = 0;
  for (const item of input.TransactItems ?? []) {
    const written = item.Put?.Item ?? (item.Update ? { ...item.Update.Key, ...item.Update.ExpressionAttributeValues } : item.Delete?.Key);
    if (written) units += 2 * Math.max(1, Math.ceil(attributeSize(written) / 1024));
  }
  return units;
}

/**
 * The storage calls of one request, and how many of them ran one after
 * another: a call's depth is one more than the deepest call that had ended
 * when it started, and the request's round trips are the deepest depth. That
 * is the chain of calls whose latencies add up where each call costs
 * milliseconds (AWS), whatever the CPU does.
 */
export interface StorageTrace {
  calls: number;
  rounds: number;
  /** The deepest depth among the calls that have ended (internal). */
  endedDepth: number;
}

const traces = new AsyncLocalStorage<StorageTrace>();

export function newStorageTrace(): StorageTrace {
  return { calls: 0, rounds: 0, endedDepth: 0 };
}

/** Runs `work` with its storage calls counted in `trace` (the local server keeps one per request). */
export function traceStorage<T>(trace: StorageTrace, work: () => T): T {
  return traces.run(trace, work);
}

/** Runs `work` outside any request's trace: background work a request starts (a wake-up, a delivery) is not its cost. */
export function untraced<T>(work: () => T): T {
  return traces.exit(work);
}

/** Marks the start of a storage call in the current trace; call the result when it ends. */
export function beginStorageCall(): () => void {
  const trace = traces.getStore();
  if (!trace) return noop;
  const depth = trace.endedDepth + 1;
  trace.calls++;
  trace.rounds = Math.max(trace.rounds, depth);
  return () => {
    trace.endedDepth = Math.max(trace.endedDepth, depth);
  };
}

function noop(): void {}

export function recordS3Call(commandName: string): void {
  if (commandName === 'PutObjectCommand' || commandName === 'UploadPartCommand' || commandName === 'CopyObjectCommand') meter.s3Puts++;
  else if (commandName === 'GetObjectCommand' || commandName === 'HeadObjectCommand') meter.s3Gets++;
  else if (commandName.startsWith('List')) meter.s3Lists++;
  else if (commandName.startsWith('Delete')) meter.s3Deletes++;
}
