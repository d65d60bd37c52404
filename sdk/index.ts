/**
 * The Brook SDK: `import { Brook } from 'brook/sdk'`.
 *
 * ```ts
 * const brook = new Brook({ url: 'http://127.0.0.1:8080', apiKey });   // or BROOK_URL / BROOK_API_KEY
 * const producer = brook.producer();
 * await producer.send({ topic: 'orders', messages: [{ key: 'o-1', value: 'created' }] });
 * ```
 */
import { HttpTransport, type FetchLike } from './http.js';
import { defaultUrl, findLocalAdminKey } from './localStack.js';
import { Admin } from './Admin.js';
import { Consumer, type ConsumerOptions } from './Consumer.js';
import { Producer, type ProducerOptions } from './Producer.js';
import { Reader } from './Reader.js';
import type { RetryOptions } from './retry.js';

export interface BrookOptions {
  /**
   * Base url of the API.
   * @default process.env.BROOK_URL, else the local stack: `http://127.0.0.1:<BROOK_PORT or 8080>`
   */
  readonly url?: string;
  /**
   * @default process.env.BROOK_API_KEY, else (for a url on this machine) the
   * admin key the local stack saved in `<BROOK_DATA_DIR or .brook>/admin-key`,
   * looked for in the current folder and its parents
   */
  readonly apiKey?: string;
  /** Per-request timeout. @default 30000 */
  readonly requestTimeoutMs?: number;
  /** Retries of retriable errors, for every client made from this one unless it sets its own. */
  readonly retry?: RetryOptions;
  /** Replaces the global fetch (a proxy, instrumentation, fault injection in tests). */
  readonly fetch?: FetchLike;
}

export class Brook {
  readonly #http: HttpTransport;
  readonly #retry: RetryOptions;

  constructor(options: BrookOptions = {}) {
    const url = options.url || process.env.BROOK_URL || defaultUrl();
    this.#http = new HttpTransport({
      url,
      apiKey: options.apiKey || process.env.BROOK_API_KEY || findLocalAdminKey(url)?.apiKey || '',
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.requestTimeoutMs !== undefined ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
    });
    this.#retry = options.retry ?? {};
  }

  /** The base url requests go to. */
  get url(): string {
    return this.#http.baseUrl;
  }

  producer(options: ProducerOptions = {}): Producer {
    return new Producer(this.#http, { ...options, retry: options.retry ?? this.#retry });
  }

  /** A member of the consumer group `groupId`. */
  consumer(options: ConsumerOptions): Consumer {
    return new Consumer(this.#http, { ...options, retry: options.retry ?? this.#retry });
  }

  admin(options: { retry?: RetryOptions } = {}): Admin {
    return new Admin(this.#http, { retry: options.retry ?? this.#retry });
  }

  /** Fetches partitions by offset with no consumer group (no membership, no commits). */
  reader(options: { retry?: RetryOptions } = {}): Reader {
    return new Reader(this.#http, { retry: options.retry ?? this.#retry });
  }
}

export { Admin } from './Admin.js';
export type * from './Admin.js';
export { Consumer } from './Consumer.js';
export type * from './Consumer.js';
export { Producer } from './Producer.js';
export type * from './Producer.js';
export { Transaction, type TransactionOffsets, type TransactionState } from './Transaction.js';
export { runTransactional, type TransactionalRunOptions, type TransformPayload } from './consumer/transactional.js';
export { Reader } from './Reader.js';
export type { FetchOptions, FetchPosition, PartitionFetch } from './Reader.js';
export { HttpTransport, errorFromResponse, type FetchLike, type HttpResponse, type RequestOptions, type TransportOptions } from './http.js';
export { backoffMs, isRetriable, retry, type RetryContext, type RetryOptions } from './retry.js';
export { BrookError, ERROR_TABLE, isErrorCode, type ErrorBody, type ErrorCode, type ErrorDetails } from '../protocol/errors.js';
export type {
  AlterTopicRequest,
  CleanupPolicy,
  CreateTopicRequest,
  DeliveryAnswer,
  DeliveryAnswerRecord,
  DeliveryBatch,
  Encoding,
  FetchedRecord,
  PartitionDescription,
  TopicConfig,
  TopicDescription,
  TopicSummary,
} from '../protocol/types.js';
// For a webhook receiver: check the `brook-signature` header of a delivery against the subscription's secret.
export { SIGNATURE_HEADER, signDelivery, verifyDelivery } from '../protocol/webhookSignature.js';
export { bytes, json, text, type Serde } from './serializers.js';
