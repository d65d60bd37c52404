import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DeliveryBatch } from '../../protocol/types.js';

export interface ReceivedDelivery {
  headers: IncomingHttpHeaders;
  /** The raw body, as signed. */
  raw: string;
  batch: DeliveryBatch;
  /** Epoch ms the answer was sent. */
  at: number;
  /** Epoch ms the request's body had arrived (before `answer` was asked). */
  arrivedAt: number;
  /** What was answered. */
  answered: Answer;
}

export type Answer = { status: number; body?: string; delayMs?: number };

/**
 * A webhook on 127.0.0.1 that records every delivery and answers what
 * `answer` says (200 with no body by default). It tracks how many deliveries
 * of one partition were in flight at once.
 */
export interface WebhookReceiver {
  url: string;
  received: ReceivedDelivery[];
  answer: (batch: DeliveryBatch, index: number) => Answer;
  /** The most deliveries of one partition in flight at the same time. */
  maxInFlightPerPartition: number;
  /** Resolves once `count` deliveries have arrived (or rejects after `timeoutMs`). */
  waitFor(count: number, timeoutMs?: number): Promise<void>;
  /** Offsets of every record received, in arrival order. */
  offsets(partition?: number): number[];
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const inFlight = new Map<number, number>();
  const waiters: (() => void)[] = [];
  const receiver: WebhookReceiver = {
    url: '',
    received: [],
    answer: () => ({ status: 200 }),
    maxInFlightPerPartition: 0,
    waitFor: (count, timeoutMs = 10_000) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (receiver.received.length >= count) {
            clearTimeout(timer);
            resolve();
            return true;
          }
          return false;
        };
        const timer = setTimeout(() => reject(new Error(`only ${receiver.received.length} of ${count} deliveries arrived`)), timeoutMs);
        const waiter = () => {
          if (!check()) waiters.push(waiter);
        };
        waiter();
      }),
    offsets: (partition) =>
      receiver.received.filter((d) => partition === undefined || d.batch.partition === partition).flatMap((d) => d.batch.records.map((r) => r.offset)),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const arrivedAt = Date.now();
      const raw = Buffer.concat(chunks).toString('utf8');
      const batch = JSON.parse(raw) as DeliveryBatch;
      const now = (inFlight.get(batch.partition) ?? 0) + 1;
      inFlight.set(batch.partition, now);
      receiver.maxInFlightPerPartition = Math.max(receiver.maxInFlightPerPartition, now);
      const index = receiver.received.length;
      const answer = receiver.answer(batch, index);
      setTimeout(() => {
        inFlight.set(batch.partition, (inFlight.get(batch.partition) ?? 1) - 1);
        receiver.received.push({ headers: request.headers, raw, batch, at: Date.now(), arrivedAt, answered: answer });
        response.writeHead(answer.status, answer.body ? { 'content-type': 'application/json' } : {});
        response.end(answer.body ?? '');
        for (const waiter of waiters.splice(0)) waiter();
      }, answer.delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return receiver;
}
