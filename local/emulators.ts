/**
 * The two emulators the local stack and the integration tests run on:
 * DynamoDB Local (`dynamoDbLocal.ts`, Java) and s3rver (`s3rver.ts`, in
 * this process). Each start returns its endpoint and a `stop()`.
 */
export { getFreePort, type RunningEmulator } from './emulator.js';
export {
  DYNAMODB_LOCAL_CREDENTIALS,
  EmulatorStartError,
  JavaMissingError,
  startDynamoDbLocal,
  type DynamoDbLocalEmulator,
  type DynamoDbLocalOptions,
} from './dynamoDbLocal.js';
export { startS3Emulator, type S3EmulatorOptions } from './s3rver.js';
