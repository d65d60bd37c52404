import type { CdkCustomResourceResponse, CloudFormationCustomResourceEvent } from 'aws-lambda';
import { BrookError } from '../../protocol/errors.js';
import type { AlterSubscriptionRequest, CreateSubscriptionRequest } from '../../protocol/types.js';
import { loadConfig } from '../config.js';
import { defaultLogger, type Logger } from '../http/logger.js';
import { settingsWithDefaults, type SubscriptionAdmin } from '../subscriptions/SubscriptionAdmin.js';
import { createSubscriptionSchema } from '../subscriptions/subscriptionRoutes.js';
import { brookWiring, subscriptionAdmin } from '../wiring.js';

/**
 * What the stack passes to a `Custom::BrookSubscription` (`BrookEventLog.subscribe()`,
 * infra/constructs/SubscriptionRegistrar.ts). CloudFormation hands every value
 * to the function as a string; numbers are read back here.
 */
export interface SubscriptionProperties {
  ServiceToken: string;
  Name: string;
  Topic: string;
  /** The Lambda function records are delivered to. */
  FunctionArn: string;
  BatchSize?: string | number;
  MaxBatchingWindowMs?: string | number;
  MaxRetries?: string | number;
  MaxRecordAgeMs?: string | number;
  /** The topic records are parked on after their retries. */
  OnFailureTopic?: string;
  /** Read at creation only. */
  StartAt?: 'earliest' | 'latest';
}

/** Readable in the template with `Fn::GetAtt`. */
export interface SubscriptionData {
  Name: string;
}

export interface SubscriptionResourceDependencies {
  admin: Pick<SubscriptionAdmin, 'create' | 'alter' | 'delete' | 'describeSettings'>;
  logger: Logger;
}

export type SubscriptionResourceHandler = (
  event: CloudFormationCustomResourceEvent<SubscriptionProperties>,
) => Promise<CdkCustomResourceResponse<SubscriptionData>>;

/**
 * The `onEvent` handler of `Custom::BrookSubscription` (CDK `Provider`
 * framework): a subscription to a Lambda function, made, changed and deleted
 * with the stack. The subscription's name is the physical id.
 *
 * - Create makes it. A subscription of that name already there, on the same
 *   topic and function, is adopted (its settings become the resource's);
 *   one on another topic or function is refused, never taken over.
 * - Update alters the settings. A new name is a new subscription: it is made,
 *   and CloudFormation then deletes the old one (a new physical id). A new
 *   topic or function under the same name deletes the subscription and makes
 *   it again, at `StartAt`. Its state (active, paused) is left as it is.
 * - Delete deletes it; one that is gone already is fine.
 *
 * The topic must exist: a missing one fails the deploy with the message.
 */
export function createSubscriptionResourceHandler(dependencies: () => SubscriptionResourceDependencies): SubscriptionResourceHandler {
  let deps: SubscriptionResourceDependencies | undefined;
  return async (event) => {
    deps ??= dependencies();
    const { admin, logger } = deps;
    if (event.RequestType === 'Delete') {
      await ignoring('SUBSCRIPTION_NOT_FOUND', () => admin.delete(event.PhysicalResourceId));
      logger.info('subscription deleted', { subscription: event.PhysicalResourceId });
      return { PhysicalResourceId: event.PhysicalResourceId };
    }
    const request = requestOf(event.ResourceProperties);
    const name = request.name;
    if (event.RequestType === 'Create' || name !== event.PhysicalResourceId) {
      await createOrAdopt(deps, request);
    } else if (request.topic !== event.OldResourceProperties.Topic || functionArnOf(request) !== event.OldResourceProperties.FunctionArn) {
      await ignoring('SUBSCRIPTION_NOT_FOUND', () => admin.delete(name));
      await createOrAdopt(deps, request);
      logger.info('subscription made again for a new topic or function', { subscription: name, topic: request.topic });
    } else {
      await admin.alter(name, settingsOf(request));
      logger.info('subscription altered', { subscription: name });
    }
    return { PhysicalResourceId: name, Data: { Name: name } };
  };
}

async function createOrAdopt({ admin, logger }: SubscriptionResourceDependencies, request: CreateSubscriptionRequest): Promise<void> {
  try {
    await admin.create(request);
    logger.info('subscription created', { subscription: request.name, topic: request.topic });
    return;
  } catch (error) {
    const code = codeOf(error);
    if (code === 'TOPIC_NOT_FOUND') {
      // Topics are made with the API, not by the stack.
      throw new Error(`subscription "${request.name}": ${(error as Error).message}: create it first, then deploy again`);
    }
    if (code !== 'SUBSCRIPTION_EXISTS') throw new Error(`subscription "${request.name}": ${(error as Error).message}`, { cause: error });
  }
  const existing = await admin.describeSettings(request.name);
  if (existing.topic !== request.topic || functionArnOf(existing) !== functionArnOf(request)) {
    throw new Error(
      `subscription "${request.name}" already exists for another topic or target (topic "${existing.topic}"): ` +
        'delete it (brook subscriptions delete) or give subscribe() another name',
    );
  }
  await admin.alter(request.name, settingsOf(request));
  logger.info('subscription adopted', { subscription: request.name, topic: request.topic });
}

/** The request the properties describe, checked as `POST /v1/subscriptions` checks its body. */
function requestOf(properties: SubscriptionProperties): CreateSubscriptionRequest {
  const number = (value: string | number | undefined) => (value === undefined || value === '' ? undefined : Number(value));
  const candidate = {
    name: properties.Name,
    topic: properties.Topic,
    target: { type: 'lambda', functionArn: properties.FunctionArn },
    batchSize: number(properties.BatchSize),
    maxBatchingWindowMs: number(properties.MaxBatchingWindowMs),
    maxRetries: number(properties.MaxRetries),
    maxRecordAgeMs: number(properties.MaxRecordAgeMs),
    onFailure: properties.OnFailureTopic ? { topic: properties.OnFailureTopic } : undefined,
    startAt: properties.StartAt || undefined,
  };
  const defined = Object.fromEntries(Object.entries(candidate).filter(([, value]) => value !== undefined));
  const parsed = createSubscriptionSchema.safeParse(defined);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'properties'}: ${issue.message}`);
    throw new Error(`subscription "${String(properties.Name)}": ${problems.join('; ')}`);
  }
  return parsed.data as CreateSubscriptionRequest;
}

/** Every setting the resource declares, the defaults for those it leaves out (so that removing one resets it). */
function settingsOf(request: CreateSubscriptionRequest): AlterSubscriptionRequest {
  const { encoding: _encoding, ...settings } = settingsWithDefaults(request);
  return settings;
}

function functionArnOf(subscription: Pick<CreateSubscriptionRequest, 'target'>): string | undefined {
  return subscription.target.type === 'lambda' ? subscription.target.functionArn : undefined;
}

function codeOf(error: unknown): string | undefined {
  return error instanceof BrookError ? error.code : undefined;
}

async function ignoring(code: string, action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (error) {
    if (codeOf(error) !== code) throw error;
  }
}

function defaultDependencies(): SubscriptionResourceDependencies {
  return { admin: subscriptionAdmin(brookWiring(loadConfig())), logger: defaultLogger() };
}

export const handler: SubscriptionResourceHandler = createSubscriptionResourceHandler(defaultDependencies);
