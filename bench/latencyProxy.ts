/**
 * A proxy in front of a storage emulator that makes each call cost what it
 * costs in AWS: every request waits a fixed delay, chosen per call, before it
 * is forwarded. Put between the local stack and DynamoDB Local or the S3
 * emulator (`BROOK_DYNAMODB_ENDPOINT` / `BROOK_S3_ENDPOINT`), it turns round
 * trips into milliseconds, as they are in a region, where the loopback hides
 * them behind CPU.
 */
import { Agent, createServer, request as forward, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** What a delay is chosen from: the HTTP method and, for DynamoDB, the operation (`X-Amz-Target`, e.g. `PutItem`). */
export interface CallInfo {
  method: string;
  operation: string | undefined;
}

export interface LatencyProxy {
  readonly endpoint: string;
  /** Calls forwarded so far. */
  readonly calls: () => number;
  stop(): Promise<void>;
}

/** Starts a proxy on a free loopback port that forwards to `upstream` after `delayOf(call)` ms. */
export async function startLatencyProxy(upstream: string, delayOf: (call: CallInfo) => number): Promise<LatencyProxy> {
  const target = new URL(upstream);
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  let calls = 0;

  const relay = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const amzTarget = req.headers['x-amz-target'];
    const operation = typeof amzTarget === 'string' ? amzTarget.split('.').pop() : undefined;
    calls++;
    await sleep(delayOf({ method: req.method ?? 'GET', operation }));
    const out = forward(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers, agent },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    out.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    out.end(Buffer.concat(chunks));
  };

  const server = createServer((req, res) => void relay(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls: () => calls,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}
