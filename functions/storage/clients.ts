import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { BrookConfig } from '../config.js';

/** Credentials for DynamoDB Local: any will do with `-sharedDb`, but only letters and digits. */
const LOCAL_DYNAMODB_CREDENTIALS = { accessKeyId: 'brooklocal', secretAccessKey: 'brooklocal' };

/**
 * The DynamoDB document client every feature uses. Created once per cold
 * start. `removeUndefinedValues` lets optional fields stay out of items.
 */
export function createDocumentClient(config: Pick<BrookConfig, 'region' | 'dynamoDbEndpoint'>): DynamoDBDocumentClient {
  const client = new DynamoDBClient({
    region: config.region,
    ...(config.dynamoDbEndpoint
      ? { endpoint: config.dynamoDbEndpoint, credentials: LOCAL_DYNAMODB_CREDENTIALS }
      : {}),
  });
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertEmptyValues: false },
    unmarshallOptions: { wrapNumbers: false },
  });
}
