import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import {
  createBootstrapHandler,
  type AdminKeyProperties,
  type BootstrapDependencies,
} from '../../functions/handlers/bootstrapAdminKey.js';

const SECRET = 'S3cretAdminKeyValueThatIsLongEnough0123456789abc';
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:AdminKeySecret-AbCdEf';

function event(
  requestType: 'Create' | 'Update' | 'Delete',
  properties: Partial<AdminKeyProperties> = {},
): CloudFormationCustomResourceEvent<AdminKeyProperties> {
  const common = {
    ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:provider',
    ResponseURL: 'https://example.invalid/response',
    StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/brook-dev/1',
    RequestId: 'request-1',
    LogicalResourceId: 'AdminKey',
    ResourceType: 'Custom::BrookAdminKey',
    ResourceProperties: { ServiceToken: 'token', SecretId: SECRET_ARN, KeysTableName: 'keys', ...properties },
  };
  if (requestType === 'Create') return { ...common, RequestType: 'Create' };
  if (requestType === 'Update') {
    const old = common.ResourceProperties;
    return { ...common, RequestType: 'Update', PhysicalResourceId: 'key_old', OldResourceProperties: old };
  }
  return { ...common, RequestType: 'Delete', PhysicalResourceId: 'key_0123456789abcdef' };
}

function fakes(secret = SECRET) {
  const logged: unknown[] = [];
  const log = (...args: unknown[]) => void logged.push(args);
  const deps = {
    readSecret: vi.fn(async (_id: string) => secret),
    ensureAdminKey: vi.fn(async (_secret: string) => ({ keyId: 'key_0123456789abcdef' })),
    logger: { debug: log, info: log, warn: log, error: log },
  } satisfies BootstrapDependencies;
  return { deps, logged, handler: createBootstrapHandler(() => deps) };
}

describe('Handler: bootstrapAdminKey', () => {
  it.each(['Create', 'Update'] as const)('registers the secret as an admin key on %s', async (requestType) => {
    // Prepare
    const { deps, handler } = fakes();

    // Act
    const response = await handler(event(requestType));

    // Assess
    expect(deps.readSecret).toHaveBeenCalledWith(SECRET_ARN);
    expect(deps.ensureAdminKey).toHaveBeenCalledWith(SECRET);
    expect(response).toEqual({ PhysicalResourceId: 'key_0123456789abcdef', Data: { KeyId: 'key_0123456789abcdef' } });
  });

  it('leaves the key in place on Delete', async () => {
    // Prepare
    const { deps, handler } = fakes();

    // Act
    const response = await handler(event('Delete'));

    // Assess
    expect(response).toEqual({ PhysicalResourceId: 'key_0123456789abcdef' });
    expect(deps.readSecret).not.toHaveBeenCalled();
    expect(deps.ensureAdminKey).not.toHaveBeenCalled();
  });

  it('refuses a short secret without registering or revealing it', async () => {
    // Prepare
    const { deps, handler } = fakes('short-key');

    // Act
    const failure = handler(event('Create'));

    // Assess
    await expect(failure).rejects.toThrow(/shorter than 32 characters/);
    await expect(failure).rejects.not.toThrow(/short-key/);
    expect(deps.ensureAdminKey).not.toHaveBeenCalled();
  });

  it('fails when the SecretId property is missing', async () => {
    const { handler } = fakes();
    await expect(handler(event('Create', { SecretId: '' }))).rejects.toThrow(/SecretId/);
  });

  it('never logs the secret', async () => {
    // Prepare
    const { handler, logged } = fakes();

    // Act
    await handler(event('Create'));
    await handler(event('Update'));
    await handler(event('Delete'));

    // Assess
    expect(logged.length).toBeGreaterThan(0);
    expect(JSON.stringify(logged)).not.toContain(SECRET);
  });
});
