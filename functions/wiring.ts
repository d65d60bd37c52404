/**
 * The composition root: Brook's clients, stores, services and HTTP handlers,
 * built from one `BrookConfig`. The Lambda entries (`functions/handlers/*.ts`)
 * call it once at cold start, the local stack to register its admin key, and
 * the integration tests to run the same handlers over a test config; options
 * there only swap what a test must control (a clock, a notifier, a logger).
 *
 * Each part has a builder of its own, and a wiring builds each part once, so
 * handlers that share a process (the local stack, a test) share its parts,
 * and a handler's bundle holds only the parts, and the SDK clients, it uses.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ApiKeyStore } from './auth/ApiKeyStore.js';
import { keyRoutes } from './auth/keyRoutes.js';
import type { BrookConfig } from './config.js';
import { GroupCoordinator, type GroupCoordinatorOptions } from './groups/GroupCoordinator.js';
import { groupRoutes } from './groups/groupRoutes.js';
import { createHttpHandler, type BrookHttpHandler, type HttpHandlerOptions } from './http/httpHandler.js';
import type { Logger } from './http/logger.js';
import { processAppendNotifier, type AppendNotifier } from './log/appendNotifier.js';
import { Compactor } from './log/Compactor.js';
import { FetchService } from './log/FetchService.js';
import { fetchRoutes, produceRoutes } from './log/logRoutes.js';
import { partitionLogFor, type PartitionLog, type PartitionLogOptions } from './log/PartitionLog.js';
import { ProduceService, type BatchCompression } from './log/ProduceService.js';
import { SnapshotReader } from './log/SnapshotReader.js';
import { ProducerRegistry } from './log/ProducerRegistry.js';
import { createDocumentClient } from './storage/clients.js';
import { createS3Client } from './storage/s3Client.js';
import { Dispatcher } from './subscriptions/Dispatcher.js';
import type { SubscriptionMetrics } from './subscriptions/subscriptionMetrics.js';
import { awsLambdaInvoker, localLambdaInvoker } from './subscriptions/lambdaTarget.js';
import { secretOpenerFor } from './subscriptions/secretOpener.js';
import { secretSealerFor } from './subscriptions/secretSealer.js';
import { processSubscriptionChanges } from './subscriptions/subscriptionChanges.js';
import { StateMachineWakeups, TimerWakeups, type Wakeups } from './subscriptions/wakeups.js';
import { deliverToWebhook } from './subscriptions/webhookTarget.js';
import { SubscriptionAdmin } from './subscriptions/SubscriptionAdmin.js';
import { subscriptionRoutes } from './subscriptions/subscriptionRoutes.js';
import { SubscriptionStore } from './subscriptions/SubscriptionStore.js';
import { TopicRegistry } from './topics/TopicRegistry.js';
import { topicRoutes } from './topics/topicRoutes.js';
import { TransactionService } from './transactions/TransactionService.js';
import { transactionRoutes } from './transactions/transactionRoutes.js';
import { BrookError } from '../protocol/errors.js';
import { RECORD_BATCH_CONTENT_TYPE } from '../protocol/recordBatch.js';

export interface WiringOptions {
  /** Wakes long-polling fetches at each append made in this process. @default processAppendNotifier */
  readonly notifier?: AppendNotifier;
  /** Overrides of the partition log's options (a test's clock or append timeout). */
  readonly log?: Partial<PartitionLogOptions>;
  /** How produced batches are stored. @default ProduceService's */
  readonly compression?: BatchCompression;
  /** The group coordinator's clock and topic cache (a fake clock makes leases expire at once). */
  readonly groups?: Pick<GroupCoordinatorOptions, 'now' | 'topicMetadataMaxAgeMs'>;
  /** The HTTP handlers' logger. @default defaultLogger() (Powertools) */
  readonly logger?: Logger;
}

/** The parts a wiring has built so far; each is built once. */
interface Built {
  keys?: ApiKeyStore;
  topics?: TopicRegistry;
  producers?: ProducerRegistry;
  log?: PartitionLog;
  snapshots?: SnapshotReader;
  groups?: GroupCoordinator;
  subscriptions?: SubscriptionStore;
}

/** One config's clients and the parts built from them. */
export interface Wiring {
  readonly config: BrookConfig;
  /** The DynamoDB client every part of this wiring shares. */
  readonly doc: DynamoDBDocumentClient;
  readonly options: WiringOptions;
  readonly built: Built;
}

export function brookWiring(config: BrookConfig, options: WiringOptions = {}): Wiring {
  return { config, doc: createDocumentClient(config), options, built: {} };
}

// ---------------------------------------------------------------------------
// Parts
// ---------------------------------------------------------------------------

/** The key store: checks callers' keys (cached for `keyCacheTtlMs`) and manages keys. */
export function apiKeyStore(wiring: Wiring): ApiKeyStore {
  const { config, doc } = wiring;
  return (wiring.built.keys ??= new ApiKeyStore(doc, config.tables.keys, { cacheTtlMs: config.keyCacheTtlMs }));
}

export function topicRegistry(wiring: Wiring): TopicRegistry {
  return (wiring.built.topics ??= new TopicRegistry(wiring.doc, wiring.config.tables));
}

export function producerRegistry(wiring: Wiring): ProducerRegistry {
  return (wiring.built.producers ??= new ProducerRegistry(wiring.doc, wiring.config.tables.topics));
}

/** Reads a request's topics, HEADs and producer in one round trip (produce, fetch, offsets). */
function snapshotReader(wiring: Wiring): SnapshotReader {
  return (wiring.built.snapshots ??= new SnapshotReader(wiring.doc, wiring.config.tables, topicRegistry(wiring)));
}

/** Where appends made in this process are announced to its long-polling fetches. */
function appendNotifier(wiring: Wiring): AppendNotifier {
  return wiring.options.notifier ?? processAppendNotifier;
}

/** The partition log; each append it commits wakes this process's long-polling fetches. */
export function partitionLog(wiring: Wiring): PartitionLog {
  const notifier = appendNotifier(wiring);
  return (wiring.built.log ??= partitionLogFor(wiring.config, wiring.doc, {
    onAppend: (partitionKey, highWatermark) => notifier.notify(partitionKey, highWatermark),
    ...wiring.options.log,
  }));
}

/** The group coordinator. It only reads the log: high watermarks for lag, offsets by time for a reset. */
export function groupCoordinator(wiring: Wiring): GroupCoordinator {
  const { config, doc } = wiring;
  return (wiring.built.groups ??= new GroupCoordinator({
    doc,
    tables: config.tables,
    log: partitionLog(wiring),
    topics: topicRegistry(wiring),
    snapshots: snapshotReader(wiring),
    ...wiring.options.groups,
  }));
}

export function subscriptionStore(wiring: Wiring): SubscriptionStore {
  return (wiring.built.subscriptions ??= new SubscriptionStore(wiring.doc, wiring.config.tables.subscriptions));
}

/** Options of a dispatcher that a test or the local stack controls. */
export interface DispatcherWiringOptions {
  readonly logger: Logger;
  readonly metrics?: SubscriptionMetrics;
  /** @default a Step Functions wake-up with `wakeStateMachineArn`, timers in this process without it */
  readonly wakeups?: Wakeups;
  readonly now?: () => number;
  readonly random?: () => number;
  readonly deliveryTimeoutMs?: number;
  readonly leaseMs?: number;
}

/**
 * A new subscription dispatcher. It parks failed records through the same
 * produce path as the API, writes the records a target answers with through
 * the same transactions as `POST /v1/transactions` (with its settle, never a
 * group's commits), and runs Lambda targets through the Lambda API, or in
 * this process where `localLambdas` maps them (the local stack).
 */
export function createDispatcher(wiring: Wiring, options: DispatcherWiringOptions): Dispatcher {
  const { config, doc } = wiring;
  const { compression } = wiring.options;
  const produce = new ProduceService({ log: partitionLog(wiring), producers: producerRegistry(wiring) });
  const transactions = new TransactionService({
    doc,
    log: partitionLog(wiring),
    snapshots: snapshotReader(wiring),
    // The dispatcher commits no group's offsets (and has no access to the groups table).
    groups: {
      transactionalCommit: () => Promise.reject(new BrookError('INVALID_REQUEST', 'the dispatcher commits no group offsets')),
    },
    ...(compression ? { compression } : {}),
  });
  const wakeups =
    options.wakeups ??
    (config.wakeStateMachineArn
      ? new StateMachineWakeups(config.wakeStateMachineArn, config.region)
      : new TimerWakeups(async (wake) => void (await dispatcher.wake(wake.subscription, wake.partition))));
  const dispatcher: Dispatcher = new Dispatcher({
    store: subscriptionStore(wiring),
    doc,
    logTable: config.tables.log,
    log: partitionLog(wiring),
    topics: topicRegistry(wiring),
    transactions,
    park: async (topic, records) => {
      const outcome = await produce.produce(topic, records.map((record) => ({ record })));
      const failed = outcome.results.find((result) => 'error' in result);
      if (failed && 'error' in failed) throw new BrookError(failed.error.code, failed.error.message);
    },
    webhook: deliverToWebhook,
    lambda: config.localLambdas ? localLambdaInvoker(config.localLambdas) : awsLambdaInvoker(config.region),
    opener: secretOpenerFor(config),
    wakeups,
    backoffMs: config.subscriptionBackoffMs,
    allowPrivateTargets: config.allowPrivateTargets,
    logger: options.logger,
    ...(options.metrics ? { metrics: options.metrics } : {}),
    ...(options.now ? { now: options.now } : {}),
    ...(options.random ? { random: options.random } : {}),
    ...(options.deliveryTimeoutMs !== undefined ? { deliveryTimeoutMs: options.deliveryTimeoutMs } : {}),
    ...(options.leaseMs !== undefined ? { leaseMs: options.leaseMs } : {}),
  });
  return dispatcher;
}

/** A new compactor over this wiring's tables and bucket, logging to `logger`. */
export function createCompactor(wiring: Wiring, logger: Logger): Compactor {
  const { config, doc } = wiring;
  return new Compactor({
    doc,
    s3: createS3Client(config),
    tables: config.tables,
    bucket: config.bucket,
    minAgeMs: config.compactMinAgeMs,
    logger,
  });
}

// ---------------------------------------------------------------------------
// HTTP handlers: one middy stack per Lambda of the API
// ---------------------------------------------------------------------------

/** An API handler: the routes behind the wiring's key store and logger. */
function apiHandler(wiring: Wiring, options: Omit<HttpHandlerOptions, 'keys' | 'logger'>): BrookHttpHandler {
  return createHttpHandler({ ...options, keys: apiKeyStore(wiring), logger: wiring.options.logger });
}

/** `/v1/topics` routes: create, list, describe, alter, delete. */
export function topicsApi(wiring: Wiring): BrookHttpHandler {
  return apiHandler(wiring, { routes: topicRoutes(topicRegistry(wiring)) });
}

/** `POST /v1/topics/{topic}/records` (JSON or binary batch), `POST /v1/producers` and `POST /v1/transactions`. */
export function produceApi(wiring: Wiring): BrookHttpHandler {
  const log = partitionLog(wiring);
  const producers = producerRegistry(wiring);
  const { compression } = wiring.options;
  const produce = new ProduceService({ log, producers, snapshots: snapshotReader(wiring), ...(compression ? { compression } : {}) });
  const transactions = new TransactionService({
    doc: wiring.doc,
    log,
    snapshots: snapshotReader(wiring),
    groups: groupCoordinator(wiring),
    ...(compression ? { compression } : {}),
  });
  return apiHandler(wiring, {
    routes: { ...produceRoutes({ produce, producers }), ...transactionRoutes(transactions) },
    binaryContentTypes: [RECORD_BATCH_CONTENT_TYPE],
  });
}

/** Fetch one partition, `POST /v1/fetch` for many, and offsets by time. */
export function fetchApi(wiring: Wiring): BrookHttpHandler {
  const log = partitionLog(wiring);
  const fetch = new FetchService(log, appendNotifier(wiring));
  return apiHandler(wiring, { routes: fetchRoutes({ fetch, log, snapshots: snapshotReader(wiring) }) });
}

/** `/v1/groups` routes: join, heartbeat, leave, commit, offsets, reset, list, describe, delete. */
export function groupsApi(wiring: Wiring): BrookHttpHandler {
  return apiHandler(wiring, { routes: groupRoutes(groupCoordinator(wiring)) });
}

/** Subscriptions' settings and positions: what the routes (and the CDK custom resource) change. */
export function subscriptionAdmin(wiring: Wiring): SubscriptionAdmin {
  const { config, doc } = wiring;
  return new SubscriptionAdmin({
    store: subscriptionStore(wiring),
    doc,
    logTable: config.tables.log,
    topics: topicRegistry(wiring),
    log: partitionLog(wiring),
    sealer: secretSealerFor(config),
    allowPrivateTargets: config.allowPrivateTargets,
    ...(config.localLambdas ? { localLambdas: config.localLambdas } : {}),
    onChange: (name) => processSubscriptionChanges.changed(name),
  });
}

/** `/v1/subscriptions` routes: create, list, describe, alter, reset, delete. */
export function subscriptionsApi(wiring: Wiring): BrookHttpHandler {
  return apiHandler(wiring, { routes: subscriptionRoutes(subscriptionAdmin(wiring)) });
}

/** `/v1/keys` routes: create, list, revoke. The same store checks the caller's key and manages keys. */
export function keysApi(wiring: Wiring): BrookHttpHandler {
  return apiHandler(wiring, { routes: keyRoutes(apiKeyStore(wiring)) });
}
