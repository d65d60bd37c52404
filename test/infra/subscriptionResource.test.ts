import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import {
  createSubscriptionResourceHandler,
  type SubscriptionProperties,
  type SubscriptionResourceDependencies,
} from '../../functions/handlers/subscriptionResource.js';
import { BrookError } from '../../protocol/errors.js';
import type { AlterSubscriptionRequest, CreateSubscriptionRequest, SubscriptionTarget } from '../../protocol/types.js';

const FN = 'arn:aws:lambda:eu-west-1:123456789012:function:orders-handler';
const OTHER_FN = 'arn:aws:lambda:eu-west-1:123456789012:function:audit-handler';
const BASE: SubscriptionProperties = { ServiceToken: 'token', Name: 'orders-Handler', Topic: 'orders', FunctionArn: FN };
const DEFAULT_SETTINGS = { batchSize: 100, maxBatchingWindowMs: 0, maxRetries: 10, maxRecordAgeMs: -1, onFailure: null };

function event(
  requestType: 'Create' | 'Update' | 'Delete',
  properties: Partial<SubscriptionProperties> = {},
  previous: { physicalId?: string; properties?: Partial<SubscriptionProperties> } = {},
): CloudFormationCustomResourceEvent<SubscriptionProperties> {
  const common = {
    ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:provider',
    ResponseURL: 'https://example.invalid/response',
    StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/brook-dev/1',
    RequestId: 'request-1',
    LogicalResourceId: 'SubscriptionsSubscriptionordersHandler',
    ResourceType: 'Custom::BrookSubscription',
    ResourceProperties: { ...BASE, ...properties },
  };
  const physicalId = previous.physicalId ?? BASE.Name;
  if (requestType === 'Create') return { ...common, RequestType: 'Create' };
  if (requestType === 'Update') {
    return { ...common, RequestType: 'Update', PhysicalResourceId: physicalId, OldResourceProperties: { ...BASE, ...previous.properties } };
  }
  return { ...common, RequestType: 'Delete', PhysicalResourceId: physicalId };
}

interface Stored {
  topic: string;
  target: SubscriptionTarget;
  settings: AlterSubscriptionRequest;
}

/** Subscriptions in memory, with the admin's errors; `topics` are the topics that exist. */
function fakes(existing: Record<string, Stored> = {}, topics = ['orders', 'orders-failed', 'payments']) {
  const stored = new Map(Object.entries(existing));
  const notFound = (name: string) => new BrookError('SUBSCRIPTION_NOT_FOUND', `subscription "${name}" does not exist`);
  const admin = {
    create: vi.fn(async (request: CreateSubscriptionRequest) => {
      if (!topics.includes(request.topic)) throw new BrookError('TOPIC_NOT_FOUND', `topic "${request.topic}" does not exist`);
      if (stored.has(request.name)) throw new BrookError('SUBSCRIPTION_EXISTS', `subscription "${request.name}" already exists`);
      const { name: _name, topic, target, startAt: _startAt, encoding: _encoding, ...settings } = request;
      stored.set(request.name, { topic, target, settings });
      return {} as never;
    }),
    alter: vi.fn(async (name: string, changes: AlterSubscriptionRequest) => {
      const subscription = stored.get(name);
      if (!subscription) throw notFound(name);
      subscription.settings = { ...subscription.settings, ...changes };
      return {} as never;
    }),
    delete: vi.fn(async (name: string) => {
      if (!stored.delete(name)) throw notFound(name);
    }),
    describeSettings: vi.fn(async (name: string) => {
      const subscription = stored.get(name);
      if (!subscription) throw notFound(name);
      return { name, topic: subscription.topic, target: subscription.target } as never;
    }),
  };
  const quiet = () => undefined;
  const deps = { admin, logger: { debug: quiet, info: quiet, warn: quiet, error: quiet } } satisfies SubscriptionResourceDependencies;
  return { admin, stored, handler: createSubscriptionResourceHandler(() => deps) };
}

describe('Handler: subscriptionResource', () => {
  it('makes the subscription on Create, reading back the numbers CloudFormation sends as strings', async () => {
    // Prepare
    const { admin, handler } = fakes();

    // Act
    const response = await handler(
      event('Create', { BatchSize: '50', MaxBatchingWindowMs: '2000', MaxRetries: '-1', MaxRecordAgeMs: '3600000', OnFailureTopic: 'orders-failed', StartAt: 'earliest' }),
    );

    // Assess
    expect(admin.create).toHaveBeenCalledWith({
      name: 'orders-Handler',
      topic: 'orders',
      target: { type: 'lambda', functionArn: FN },
      batchSize: 50,
      maxBatchingWindowMs: 2000,
      maxRetries: -1,
      maxRecordAgeMs: 3600000,
      onFailure: { topic: 'orders-failed' },
      startAt: 'earliest',
    });
    expect(response).toEqual({ PhysicalResourceId: 'orders-Handler', Data: { Name: 'orders-Handler' } });
  });

  it('leaves out the settings the resource does not give (the API\'s defaults apply)', async () => {
    const { admin, handler } = fakes();
    await handler(event('Create'));
    expect(admin.create).toHaveBeenCalledWith({ name: 'orders-Handler', topic: 'orders', target: { type: 'lambda', functionArn: FN } });
  });

  it('adopts a subscription of the same name, topic and function, giving it the resource\'s settings', async () => {
    // Prepare
    const { admin, stored, handler } = fakes({ 'orders-Handler': { topic: 'orders', target: { type: 'lambda', functionArn: FN }, settings: { batchSize: 7 } } });

    // Act
    const response = await handler(event('Create', { MaxRetries: '3' }));

    // Assess
    expect(response.PhysicalResourceId).toBe('orders-Handler');
    expect(admin.alter).toHaveBeenCalledWith('orders-Handler', { ...DEFAULT_SETTINGS, maxRetries: 3 });
    expect(stored.get('orders-Handler')!.settings).toMatchObject({ batchSize: 100, maxRetries: 3 });
  });

  it('refuses to take over a subscription of that name on another topic or function', async () => {
    // Prepare
    const { admin, stored, handler } = fakes({ 'orders-Handler': { topic: 'orders', target: { type: 'lambda', functionArn: OTHER_FN }, settings: {} } });

    // Act
    const failure = handler(event('Create'));

    // Assess
    await expect(failure).rejects.toThrow(/"orders-Handler" already exists for another topic or target/);
    expect(admin.alter).not.toHaveBeenCalled();
    expect(stored.get('orders-Handler')!.target).toEqual({ type: 'lambda', functionArn: OTHER_FN });
  });

  it('fails the deploy with a clear message when the topic does not exist yet', async () => {
    const { handler } = fakes({}, []);
    await expect(handler(event('Create'))).rejects.toThrow(/topic "orders" does not exist: create it first, then deploy again/);
  });

  it('checks the properties as the API checks a request, before any write', async () => {
    // Prepare
    const { admin, handler } = fakes();

    // Assess
    await expect(handler(event('Create', { BatchSize: '0' }))).rejects.toThrow(/subscription "orders-Handler": batchSize/);
    await expect(handler(event('Create', { Name: 'not a name' }))).rejects.toThrow(/name/);
    await expect(handler(event('Create', { MaxRecordAgeMs: '10' }))).rejects.toThrow(/maxRecordAgeMs/);
    expect(admin.create).not.toHaveBeenCalled();
  });

  it('alters the settings on Update, resetting those the resource no longer gives', async () => {
    // Prepare
    const { admin, handler } = fakes({ 'orders-Handler': { topic: 'orders', target: { type: 'lambda', functionArn: FN }, settings: {} } });

    // Act
    const response = await handler(event('Update', { BatchSize: '20' }, { properties: { BatchSize: '10', OnFailureTopic: 'orders-failed' } }));

    // Assess
    expect(admin.alter).toHaveBeenCalledWith('orders-Handler', { ...DEFAULT_SETTINGS, batchSize: 20, onFailure: null });
    expect(admin.create).not.toHaveBeenCalled();
    expect(admin.delete).not.toHaveBeenCalled();
    expect(response.PhysicalResourceId).toBe('orders-Handler');
  });

  it('makes a renamed subscription under a new physical id, leaving the old one for CloudFormation to delete', async () => {
    // Prepare
    const { admin, stored, handler } = fakes({ 'orders-Handler': { topic: 'orders', target: { type: 'lambda', functionArn: FN }, settings: {} } });

    // Act
    const response = await handler(event('Update', { Name: 'orders-v2' }));

    // Assess
    expect(response.PhysicalResourceId).toBe('orders-v2');
    expect([...stored.keys()].sort()).toEqual(['orders-Handler', 'orders-v2']);
    expect(admin.delete).not.toHaveBeenCalled();
  });

  it.each<[string, Partial<SubscriptionProperties>]>([
    ['topic', { Topic: 'payments' }],
    ['function', { FunctionArn: OTHER_FN }],
  ])('makes the subscription again for a new %s under the same name (same physical id)', async (_what, change) => {
    // Prepare
    const { admin, stored, handler } = fakes({ 'orders-Handler': { topic: 'orders', target: { type: 'lambda', functionArn: FN }, settings: {} } });

    // Act
    const response = await handler(event('Update', change));

    // Assess
    expect(admin.delete).toHaveBeenCalledWith('orders-Handler');
    expect(response.PhysicalResourceId).toBe('orders-Handler');
    expect(stored.get('orders-Handler')).toMatchObject({ topic: change.Topic ?? 'orders', target: { functionArn: change.FunctionArn ?? FN } });
  });

  it('deletes the subscription of the physical id on Delete, and is fine when it is gone already', async () => {
    // Prepare
    const { admin, stored, handler } = fakes({ 'orders-Handler': { topic: 'orders', target: { type: 'lambda', functionArn: FN }, settings: {} } });

    // Act
    const response = await handler(event('Delete'));
    const again = await handler(event('Delete'));

    // Assess
    expect(admin.delete).toHaveBeenCalledWith('orders-Handler');
    expect(stored.size).toBe(0);
    expect(response).toEqual({ PhysicalResourceId: 'orders-Handler' });
    expect(again).toEqual({ PhysicalResourceId: 'orders-Handler' });
  });
});
