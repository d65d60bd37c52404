import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import {
  createSecretKeyHandler,
  type SecretKeyDependencies,
  type SecretKeyProperties,
} from '../../functions/handlers/bootstrapSecretKey.js';
import { newSecretKeyPair } from '../../functions/subscriptions/secretSealer.js';

const PARAMETER = '/brook-dev/subscription-secret-key';
const PAIR = newSecretKeyPair();
const NEW_PAIR = newSecretKeyPair();
const KEY = PAIR.privateKey;
const NEW_KEY = NEW_PAIR.privateKey;

function event(
  requestType: 'Create' | 'Update' | 'Delete',
  properties: Partial<SecretKeyProperties> = {},
): CloudFormationCustomResourceEvent<SecretKeyProperties> {
  const common = {
    ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:provider',
    ResponseURL: 'https://example.invalid/response',
    StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/brook-dev/1',
    RequestId: 'request-1',
    LogicalResourceId: 'SecretKey',
    ResourceType: 'Custom::BrookSecretKey',
    ResourceProperties: { ServiceToken: 'token', ParameterName: PARAMETER, ...properties },
  };
  if (requestType === 'Create') return { ...common, RequestType: 'Create' };
  if (requestType === 'Update') return { ...common, RequestType: 'Update', PhysicalResourceId: PARAMETER, OldResourceProperties: common.ResourceProperties };
  return { ...common, RequestType: 'Delete', PhysicalResourceId: PARAMETER };
}

/** A parameter store in memory. */
function fakes(stored: string | null = KEY, options: { raceWith?: string } = {}) {
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
    newKey: vi.fn(() => NEW_KEY),
    logger: { debug: log, info: log, warn: log, error: log },
  } satisfies SecretKeyDependencies;
  return { deps, logged, parameters, handler: createSecretKeyHandler(() => deps) };
}

describe('Handler: bootstrapSecretKey', () => {
  it('makes a private key and its parameter on the first run, named by the parameter, and answers the public key', async () => {
    // Prepare
    const { handler, parameters } = fakes(null);

    // Act
    const response = await handler(event('Create'));

    // Assess
    expect(parameters.get(PARAMETER)).toBe(NEW_KEY);
    expect(response).toEqual({ PhysicalResourceId: PARAMETER, Data: { PublicKey: NEW_PAIR.publicKey } });
  });

  it.each(['Create', 'Update'] as const)('never replaces a key already there on %s (the sealed secrets need it)', async (requestType) => {
    const { deps, handler, parameters } = fakes();
    const response = await handler(event(requestType));
    expect(deps.parameter.create).not.toHaveBeenCalled();
    expect(parameters.get(PARAMETER)).toBe(KEY);
    expect(response.Data).toEqual({ PublicKey: PAIR.publicKey });
  });

  it('keeps the key of a run that created the parameter first', async () => {
    const { handler, parameters } = fakes(null, { raceWith: KEY });
    await handler(event('Create'));
    expect(parameters.get(PARAMETER)).toBe(KEY);
  });

  it('refuses a parameter that does not hold a private key, without revealing it', async () => {
    const failure = fakes('c2hvcnQ=').handler(event('Create'));
    await expect(failure).rejects.toThrow(/must hold a private key/);
    await expect(failure).rejects.not.toThrow(/c2hvcnQ=/);
  });

  it('leaves the parameter in place on Delete, unless the stage deletes its data', async () => {
    // Prepare
    const { handler, parameters } = fakes();

    // Act
    const response = await handler(event('Delete'));

    // Assess
    expect(response).toEqual({ PhysicalResourceId: PARAMETER });
    expect(parameters.has(PARAMETER)).toBe(true);
    await handler(event('Delete', { DeleteParameterOnDelete: 'true' }));
    expect(parameters.has(PARAMETER)).toBe(false);
  });

  it('fails when the ParameterName property is missing', async () => {
    await expect(fakes().handler(event('Create', { ParameterName: '' }))).rejects.toThrow(/ParameterName/);
  });

  it('never logs nor returns the private key', async () => {
    // Prepare
    const { handler, logged } = fakes(null);

    // Act
    const responses = [await handler(event('Create')), await handler(event('Update')), await handler(event('Delete'))];

    // Assess
    expect(logged.length).toBeGreaterThan(0);
    expect(JSON.stringify([logged, responses])).not.toContain(NEW_KEY);
  });
});
