/**
 * Delivery to a webhook: one signed `POST` per batch, answered within 30 s.
 * Where private targets are not allowed, each connection's address is
 * checked as it is made (targetAddress.ts).
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { signDelivery, SIGNATURE_HEADER } from '../../protocol/webhookSignature.js';
import { readAnswer, type DeliveryOutcome } from './deliveryAnswer.js';
import { guardedLookup } from './targetAddress.js';

/** The most of an answer's body read; a longer answer fails the batch (a batchItemFailures list for 10,000 records fits). */
const MAX_ANSWER_BYTES = 1024 * 1024;

export interface WebhookDelivery {
  url: string;
  secret: string;
  subscription: string;
  deliveryId: string;
  body: string;
  offsets: readonly number[];
  signal: AbortSignal;
  allowPrivateTargets: boolean;
  now: () => number;
}

export async function deliverToWebhook(delivery: WebhookDelivery): Promise<DeliveryOutcome> {
  const url = new URL(delivery.url);
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const lookup = guardedLookup(delivery.allowPrivateTargets);
  const body = Buffer.from(delivery.body, 'utf8');
  try {
    const { status, text, cut } = await new Promise<{ status: number; text: string; cut: boolean }>((resolve, reject) => {
      const request = send(
        url,
        {
          method: 'POST',
          signal: delivery.signal,
          ...(lookup ? { lookup } : {}),
          headers: {
            'content-type': 'application/json',
            'content-length': body.length,
            'user-agent': 'brook-subscriptions',
            'brook-subscription': delivery.subscription,
            'brook-delivery-id': delivery.deliveryId,
            [SIGNATURE_HEADER]: signDelivery(delivery.secret, delivery.body, Math.floor(delivery.now() / 1000)),
          },
        },
        (response: IncomingMessage) => {
          const chunks: Buffer[] = [];
          let size = 0;
          response.on('data', (chunk: Buffer) => {
            if (size < MAX_ANSWER_BYTES) chunks.push(chunk);
            size += chunk.length;
          });
          response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), cut: size > MAX_ANSWER_BYTES }));
          response.on('error', reject);
        },
      );
      request.on('error', reject);
      request.end(body);
    });
    if (status < 200 || status > 299) return { kind: 'failed', error: `the webhook answered HTTP ${status}` };
    // An answer cut short might have listed failures it no longer shows: not a success.
    if (cut) return { kind: 'failed', error: `the webhook's answer is larger than ${MAX_ANSWER_BYTES} bytes` };
    return readAnswer(text, delivery.offsets);
  } catch (error) {
    if (delivery.signal.aborted) return { kind: 'failed', error: 'the webhook did not answer within 30 s' };
    const { code, message } = error as NodeJS.ErrnoException;
    return { kind: 'failed', error: `the webhook could not be reached: ${code ?? message}` };
  }
}
