/**
 * The log's objects in S3, as the partition log and the compactor both use
 * them: a batch's bytes (inline or in its object, base offset set), whole or
 * ranged object reads, writes, listings, and the quiet delete of objects nothing refers
 * to any more. Key layout: objectKeys.ts.
 */
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client, type _Object } from '@aws-sdk/client-s3';
import { withBaseOffset } from '../../protocol/recordBatch.js';
import { listAllObjects } from '../storage/bulk.js';
import type { LogItem } from './logItem.js';
import type { Logger } from './logger.js';

/**
 * A read found a hole in the log: an eventually consistent read below the
 * high watermark, or an object deleted under the read because the compactor
 * or retention moved on. Read again, consistently.
 */
export class LogGapError extends Error {
  override readonly name = 'LogGapError';

  constructor(message = 'the log moved on under the read') {
    super(message);
  }
}

export interface LogObjectsOptions {
  s3: S3Client;
  bucket: string;
  /** Batch objects kept in memory for readers of the same batches (objects are immutable). @default 0 */
  cachedObjects?: number;
  /** Where a failed quiet delete is reported; without one it is dropped. */
  logger?: Logger;
}

export class LogObjects {
  private readonly s3: S3Client;
  private readonly bucket: string;
  private readonly cachedObjects: number;
  private readonly logger: Logger | undefined;
  private readonly cache = new Map<string, Uint8Array>();

  constructor(options: LogObjectsOptions) {
    this.s3 = options.s3;
    this.bucket = options.bucket;
    this.cachedObjects = options.cachedObjects ?? 0;
    this.logger = options.logger;
  }

  /** A batch item's bytes, with its base offset set. */
  async batchBytes(item: LogItem): Promise<Uint8Array> {
    if (item.b) return item.b;
    if (!item.o) throw new Error(`log item ${item.pk}/${item.sk} has no batch`);
    let bytes = this.cache.get(item.o);
    if (!bytes) {
      bytes = await this.read(item.o);
      this.remember(item.o, bytes);
    }
    return withBaseOffset(bytes, item.sk);
  }

  /** Bytes `[start, end)` of an object, or all of it. A missing object means the log moved on under the read. */
  async read(key: string, start?: number, end?: number): Promise<Uint8Array> {
    try {
      const object = await this.s3.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: key, ...(start !== undefined ? { Range: `bytes=${start}-${end! - 1}` } : {}) }),
      );
      return await object.Body!.transformToByteArray();
    } catch (error) {
      if ((error as { name?: string }).name === 'NoSuchKey') throw new LogGapError(`object ${key} is gone: the log moved on under the read`);
      throw error;
    }
  }

  async put(key: string, body: Uint8Array): Promise<void> {
    await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: Buffer.from(body) }));
  }

  /** Every object under `prefix`, across all pages. */
  async list(prefix: string): Promise<_Object[]> {
    return listAllObjects(this.s3, { Bucket: this.bucket, Prefix: prefix });
  }

  /**
   * Deletes an object nothing refers to. A failure is only reported: an
   * unreferenced object is garbage, never part of the log, and costs only
   * its storage (the orphan sweep finds batch objects left so).
   */
  async deleteQuietly(key: string): Promise<void> {
    try {
      await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (error) {
      this.logger?.warn('could not delete an object; it stays as garbage', { key, error: (error as Error).message });
    }
  }

  private remember(key: string, bytes: Uint8Array): void {
    if (this.cachedObjects <= 0) return;
    this.cache.set(key, bytes);
    while (this.cache.size > this.cachedObjects) this.cache.delete(this.cache.keys().next().value!);
  }
}
