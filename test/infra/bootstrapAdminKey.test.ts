import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import {
  createBootstrapHandler,
  type AdminKeyProperties,
  type BootstrapDependencies,
} from '../../functions/handlers/bootstrapAdminKey.js';

const SECRET = 'S3cretAdminKeyValueThatIsLongEnough0123456789abc';
const PARAMETER = '/brook-dev/admin-key';

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
    ResourceProperties: { ServiceToken: 'token', ParameterName: PARAMETER, KeysTableName: 'keys', ...properties },
  };
  if (requestType === 'Create') return { ...common, RequestType: 'Create' };
  if (requestType === 'Update') {
    const old = common.ResourceProperties;
    return { ...common, RequestType: 'Update', PhysicalResourceId: 'key_old', OldResourceProperties: old };
  }
  return { ...common, RequestType: 'Delete', PhysicalResourceId: 'key_0123456789abcdef' };
}

/** A parameter store in memory (pure logic: the SSM calls themselves are a few lines in the handler). */
function fakes(stored: string | null = SECRET, options: { raceWith?: string } = {}) {
  const logged: unknown[] = [];
  const log = (...args: unknown[]) => void logged.push(args);
  const parameters = new Map<string, string>(stored === null ? [] : [[PARAMETER, stored]]);
  const deps = {
    parameter: {
      read: vi.fn(async (name: string) => parameters.get(name)),
      create: vi.fn(async (name: string, value: string) => {
        if (options.raceWith !== undefined) parameters.set(name, options.raceWith); // another run got there first
        if (parameters.has(name)) return false;
        parameters.set(name, value);
        return true;
      }),
      delete: vi.fn(async (name: string) => void parameters.delete(name)),
    },
    ensureAdminKey: vi.fn(async (_secret: string) => ({ keyId: 'key_0123456789abcdef' })),
    newSecret: vi.fn(() => 'brook_NewlyMadeAdminKeyOfEnoughLength0123456789abc'),
    logger: { debug: log, info: log, warn: log, error: log },
  } satisfies BootstrapDependencies;
  return { deps, logged, parameters, handler: createBootstrapHandler(() => deps) };
}

describe('Handler: bootstrapAdminKey', () => {
  it.each(['Create', 'Update'] as const)('registers the key kept in the parameter as an admin key on %s', async (requestType) => {
    // Prepare
    const { deps, handler } = fakes();

    // Act
    const response = await handler(event(requestType));

    // Assess
    expect(deps.parameter.read).toHaveBeenCalledWith(PARAMETER);
    expect(deps.parameter.create).not.toHaveBeenCalled();
    expect(deps.ensureAdminKey).toHaveBeenCalledWith(SECRET);
    expect(response).toEqual({ PhysicalResourceId: 'key_0123456789abcdef', Data: { KeyId: 'key_0123456789abcdef' } });
  });

  it('makes a key and its parameter on the first run, and registers that key', async () => {
    const { deps, handler, parameters } = fakes(null);
    await handler(event('Create'));
    expect(parameters.get(PARAMETER)).toBe('brook_NewlyMadeAdminKeyOfEnoughLength0123456789abc');
    expect(deps.ensureAdminKey).toHaveBeenCalledWith('brook_NewlyMadeAdminKeyOfEnoughLength0123456789abc');
  });

  it('registers the key of a run that created the parameter first, not its own', async () => {
    const { deps, handler, parameters } = fakes(null, { raceWith: 'brook_TheOtherRunsKeyOfEnoughLength0123456789abcd' });
    await handler(event('Create'));
    expect(parameters.get(PARAMETER)).toBe('brook_TheOtherRunsKeyOfEnoughLength0123456789abcd');
    expect(deps.ensureAdminKey).toHaveBeenCalledWith('brook_TheOtherRunsKeyOfEnoughLength0123456789abcd');
  });

  it('leaves the key and its parameter in place on Delete, unless the stage deletes its data', async () => {
    // Prepare
    const { deps, handler, parameters } = fakes();

    // Act
    const response = await handler(event('Delete'));

    // Assess
    expect(response).toEqual({ PhysicalResourceId: 'key_0123456789abcdef' });
    expect(parameters.has(PARAMETER)).toBe(true);
    expect(deps.ensureAdminKey).not.toHaveBeenCalled();
    await handler(event('Delete', { DeleteParameterOnDelete: 'true' }));
    expect(parameters.has(PARAMETER)).toBe(false);
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

  it('fails when the ParameterName property is missing', async () => {
    const { handler } = fakes();
    await expect(handler(event('Create', { ParameterName: '' }))).rejects.toThrow(/ParameterName/);
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
