/**
 * Counts what storage requests cost, as AWS bills them: DynamoDB read and
 * write request units (from the `ConsumedCapacity` each call reports;
 * transactional writes counted twice, as the service bills them, since
 * DynamoDB Local reports them once) and S3 requests by kind. Benchmarks and
 * metrics read it; it never changes what a request does.
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
  const transactional = commandName === 'TransactWriteItemsCommand';
  for (const capacity of list) {
    const units = capacity.CapacityUnits ?? (capacity.ReadCapacityUnits ?? 0) + (capacity.WriteCapacityUnits ?? 0);
    if (READ_COMMANDS.has(commandName)) meter.dynamoDbReadUnits += units;
    else meter.dynamoDbWriteUnits += transactional ? units * 2 : units;
  }
}

export function recordS3Call(commandName: string): void {
  if (commandName === 'PutObjectCommand' || commandName === 'UploadPartCommand' || commandName === 'CopyObjectCommand') meter.s3Puts++;
  else if (commandName === 'GetObjectCommand' || commandName === 'HeadObjectCommand') meter.s3Gets++;
  else if (commandName.startsWith('List')) meter.s3Lists++;
  else if (commandName.startsWith('Delete')) meter.s3Deletes++;
}
