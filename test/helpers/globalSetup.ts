/**
 * Starts one DynamoDB Local (in memory) and one s3rver (in a temp folder) for
 * the whole integration run and hands their endpoints to the tests
 * (`inject('dynamoDbEndpoint')`, `inject('s3Endpoint')`; see testConfig.ts).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startDynamoDbLocal, startS3Emulator, type RunningEmulator } from '../../local/emulators.js';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const s3Directory = await mkdtemp(join(tmpdir(), 'brook-test-s3-'));
  const [dynamo, s3] = await Promise.allSettled([
    startDynamoDbLocal(),
    startS3Emulator({ directory: s3Directory }),
  ]);
  const running = [dynamo, s3]
    .filter((result): result is PromiseFulfilledResult<RunningEmulator> => result.status === 'fulfilled')
    .map((result) => result.value);
  const teardown = async () => {
    await Promise.allSettled(running.map((emulator) => emulator.stop()));
    await rm(s3Directory, { recursive: true, force: true });
  };
  if (dynamo.status === 'rejected' || s3.status === 'rejected') {
    await teardown();
    throw dynamo.status === 'rejected' ? dynamo.reason : (s3 as PromiseRejectedResult).reason;
  }
  project.provide('dynamoDbEndpoint', dynamo.value.endpoint);
  project.provide('s3Endpoint', s3.value.endpoint);
  return teardown;
}
