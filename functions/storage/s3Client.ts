import { S3Client } from '@aws-sdk/client-s3';
import type { BrookConfig } from '../config.js';
import { S3_CALL_LIMITS, storageClientSettings } from './callLimits.js';
import { beginStorageCall, recordS3Call } from './requestMeter.js';
// Kept apart from the DynamoDB client so that functions without S3 access never load the S3 SDK.

/** The only credentials the S3 emulator (s3rver) accepts. */
export const S3_EMULATOR_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

/**
 * The S3 client for segments and large batches. Against an emulator it uses
 * path-style URLs, and checksums only where an operation requires them (with
 * the SDK defaults s3rver stores a streamed body with its chunk framing
 * inside); callers send Buffers, not streams. Both settings also work with AWS.
 * Retries and time limits: callLimits.ts.
 */
export function createS3Client(config: Pick<BrookConfig, 'region' | 's3Endpoint'>): S3Client {
  const client = new S3Client({
    region: config.region,
    ...storageClientSettings(S3_CALL_LIMITS),
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    ...(config.s3Endpoint
      ? { endpoint: config.s3Endpoint, credentials: S3_EMULATOR_CREDENTIALS, forcePathStyle: true }
      : {}),
  });
  client.middlewareStack.add(
    (next, context) => async (args) => {
      recordS3Call(context.commandName ?? '');
      const end = beginStorageCall();
      try {
        return await next(args);
      } finally {
        end();
      }
    },
    { step: 'initialize', name: 'brookRequestMeter' },
  );
  return client;
}
