import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { BrookConfig } from '../config.js';
import { DYNAMODB_CALL_LIMITS, storageClientSettings } from './callLimits.js';
import { beginStorageCall, recordDynamoDbCall, transactionWriteUnits } from './requestMeter.js';

/** Credentials for DynamoDB Local: any will do with `-sharedDb`, but only letters and digits. */
const LOCAL_DYNAMODB_CREDENTIALS = { accessKeyId: 'brooklocal', secretAccessKey: 'brooklocal' };

/**
 * Binary attributes in DynamoDB's answers, decoded by Node without the SDK's
 * check of every character against a regular expression: the text comes from
 * DynamoDB, and on a fetch of 100 KB batches that check was the largest CPU
 * cost of the request (bench/cpu.ts).
 */
function decodeStorageBase64(text: string): Uint8Array {
  const bytes = Buffer.from(text, 'base64');
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * The DynamoDB document client every feature uses. Created once per cold
 * start, with the retries and time limits of callLimits.ts.
 * `removeUndefinedValues` lets optional fields stay out of items.
 */
export function createDocumentClient(config: Pick<BrookConfig, 'region' | 'dynamoDbEndpoint'>): DynamoDBDocumentClient {
  const client = new DynamoDBClient({
    region: config.region,
    ...storageClientSettings(DYNAMODB_CALL_LIMITS),
    base64Decoder: decodeStorageBase64,
    ...(config.dynamoDbEndpoint
      ? { endpoint: config.dynamoDbEndpoint, credentials: LOCAL_DYNAMODB_CREDENTIALS }
      : {}),
  });
  client.middlewareStack.add(
    (next, context) => async (args) => {
      // Ask every call what it consumed (free of charge), and count it.
      const input = args.input as { ReturnConsumedCapacity?: string };
      input.ReturnConsumedCapacity ??= 'TOTAL';
      const end = beginStorageCall();
      try {
        const result = await next(args);
        const name = context.commandName ?? '';
        const localTransaction = config.dynamoDbEndpoint !== undefined && name === 'TransactWriteItemsCommand';
        recordDynamoDbCall(
          name,
          localTransaction ? { WriteCapacityUnits: transactionWriteUnits(args.input as never) } : (result.output as { ConsumedCapacity?: never }).ConsumedCapacity,
        );
        return result;
      } catch (error) {
        // A write refused by its condition is billed too (at least one unit); DynamoDB does not say how many.
        const refused = (error as { name?: string }).name === 'ConditionalCheckFailedException';
        recordDynamoDbCall(context.commandName ?? '', refused ? { WriteCapacityUnits: 1 } : undefined);
        throw error;
      } finally {
        end();
      }
    },
    { step: 'initialize', name: 'brookRequestMeter' },
  );
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertEmptyValues: false },
    unmarshallOptions: { wrapNumbers: false },
  });
}

