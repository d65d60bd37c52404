/**
 * `brook bench produce|consume`: throughput and latency against a running
 * Brook, like kafka-producer-perf-test and kafka-consumer-perf-test. A
 * progress bar on a terminal (stderr), a summary at the end, `--json` for machines.
 */
import { randomBytes } from 'node:crypto';
import { Command } from 'commander';
import cliProgress from 'cli-progress';
import { CliError, UsageError } from '../errors.js';
import { formatConsumeSummary, formatProduceSummary, latencies, summarize } from '../benchReport.js';
import { parseInteger } from '../parse.js';
import { examples, session } from '../session.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A progress bar on stderr when it is a terminal; nothing otherwise. */
function progress(total: number, label: string): { update(value: number, payload: Record<string, string>): void; stop(): void } {
  if (!process.stderr.isTTY) return { update: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: `${label} [{bar}] {percentage}% | {value}/{total} | {rate} rec/s | {mbps} MB/s | {extra}`,
      hideCursor: true,
      clearOnComplete: true,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { rate: '0', mbps: '0.00', extra: '' });
  return { update: (value, payload) => bar.update(value, payload), stop: () => bar.stop() };
}

/** Printable random payloads (like the perf test's random letters), sliced from one pool. */
function payloads(size: number): () => string {
  const pool = randomBytes(Math.max(size * 4, 4 * 1024 * 1024)).toString('base64');
  return () => {
    const at = Math.floor(Math.random() * (pool.length - size));
    return pool.slice(at, at + size);
  };
}

function produceBench(): Command {
  return new Command('produce')
    .description('send records as fast as allowed; report records/s, MB/s and send-to-ack latency percentiles')
    .requiredOption('-t, --topic <topic>', 'topic to produce to (must exist)')
    .option('-n, --num-records <n>', 'records to send', '10000')
    .option('-s, --record-size <bytes>', 'value size of each record', '100')
    .option('--throughput <n>', 'at most this many records per second (-1: no limit)', '-1')
    .option('--linger-ms <ms>', "producer's lingerMs (small values make small batches)", '100')
    .option('--batch-bytes <bytes>', "producer's batchBytes", '1048576')
    .option('--max-in-flight <n>', 'sends not yet acknowledged before waiting', '5000')
    .option('--compression <kind>', 'none, gzip or auto', 'none')
    .option('--no-idempotent', 'a producer without sequence numbers')
    .addHelpText(
      'after',
      examples(
        'brook bench produce --topic perf --num-records 20000 --record-size 1000',
        'brook bench produce --topic perf --num-records 100000 --throughput 2000 --json',
      ),
    )
    .action(async (options: Record<string, string | boolean>, command: Command) => {
      const s = session(command);
      const topic = options.topic as string;
      const total = parseInteger(options.numRecords as string, '--num-records', { min: 1 });
      const size = parseInteger(options.recordSize as string, '--record-size', { min: 0, max: 10 * 1024 * 1024 });
      const throughput = parseInteger(options.throughput as string, '--throughput', { min: -1 });
      const lingerMs = parseInteger(options.lingerMs as string, '--linger-ms', { min: 0 });
      const batchBytes = parseInteger(options.batchBytes as string, '--batch-bytes', { min: 1 });
      const maxInFlight = parseInteger(options.maxInFlight as string, '--max-in-flight', { min: 1 });
      const compression = options.compression as string;
      if (compression !== 'none' && compression !== 'gzip' && compression !== 'auto') {
        throw new UsageError(`--compression must be none, gzip or auto, got "${compression}"`);
      }
      await s.brook.admin().describeTopic(topic);
      const producer = s.brook.producer({ lingerMs, batchBytes, compression, idempotent: options.idempotent !== false });
      await producer.connect();
      const payload = payloads(size);
      const latency = latencies();
      const pending = new Set<Promise<void>>();
      let acked = 0;
      let errors = 0;
      let firstError: unknown;
      const bar = progress(total, 'produce');
      const started = performance.now();
      const tick = setInterval(() => {
        const seconds = (performance.now() - started) / 1000;
        const stats = latency.stats();
        bar.update(acked, {
          rate: (acked / seconds).toFixed(0),
          mbps: ((acked * size) / 1024 / 1024 / seconds).toFixed(2),
          extra: `p99 ${stats.p99.toFixed(1)} ms${errors > 0 ? ` | ${errors} errors` : ''}`,
        });
      }, 200);
      try {
        for (let i = 0; i < total; i++) {
          if (throughput > 0) {
            const due = started + (i * 1000) / throughput;
            const ahead = due - performance.now();
            if (ahead > 1) await sleep(ahead);
          }
          const sentAt = performance.now();
          const sending: Promise<void> = producer.send({ topic, messages: [{ value: payload() }] }).then(
            () => {
              latency.record(performance.now() - sentAt);
              acked++;
            },
            (error: unknown) => {
              errors++;
              firstError ??= error;
            },
          );
          pending.add(sending);
          void sending.finally(() => pending.delete(sending));
          if (pending.size >= maxInFlight) await Promise.race(pending);
          else if (i % 256 === 255) await new Promise((resolve) => setImmediate(resolve)); // let answers in
        }
        await Promise.all(pending);
        await producer.disconnect();
      } finally {
        clearInterval(tick);
        bar.stop();
      }
      const summary = summarize(acked, acked * size, performance.now() - started, latency.stats(), errors);
      if (s.json) s.printJson({ topic, recordSize: size, ...summary });
      else s.print(formatProduceSummary(summary));
      if (firstError !== undefined) throw acked === 0 ? firstError : new CliError(`${errors} of ${total} sends failed; the first: ${(firstError as Error).message}`);
    });
}

function consumeBench(): Command {
  return new Command('consume')
    .description('read a topic from the log start with no group; report records/s, MB/s and fetch latency percentiles')
    .requiredOption('-t, --topic <topic>', 'topic to read')
    .option('-n, --messages <n>', 'records to read (default: what the topic holds at the start)')
    .option('--max-bytes <bytes>', 'maxBytes of each fetch', '4194304')
    .option('--max-records-per-partition <n>', 'maxRecordsPerPartition of each fetch', '500')
    .option('--timeout-ms <ms>', 'give up when a fetch brings nothing for this long', '10000')
    .addHelpText(
      'after',
      examples('brook bench consume --topic perf', 'brook bench consume --topic perf --messages 20000 --json'),
    )
    .action(async (options: Record<string, string | undefined>, command: Command) => {
      const s = session(command);
      const topic = options.topic!;
      const maxBytes = parseInteger(options.maxBytes!, '--max-bytes', { min: 1 });
      const maxRecordsPerPartition = parseInteger(options.maxRecordsPerPartition!, '--max-records-per-partition', { min: 1 });
      const timeoutMs = parseInteger(options.timeoutMs!, '--timeout-ms', { min: 1 });
      const description = await s.brook.admin().describeTopic(topic);
      const held = description.partitions.reduce((sum, p) => sum + (p.highWatermark - p.logStartOffset), 0);
      const wanted = options.messages === undefined ? held : parseInteger(options.messages, '--messages', { min: 1 });
      const positions = new Map(description.partitions.map((p) => [p.partition, p.logStartOffset]));
      const reader = s.brook.reader();
      const latency = latencies();
      let records = 0;
      let bytes = 0;
      let fetches = 0;
      let lastData = performance.now();
      const bar = progress(wanted, 'consume');
      const started = performance.now();
      try {
        while (records < wanted) {
          const sentAt = performance.now();
          const results = await reader.fetch(
            [...positions].map(([partition, offset]) => ({ topic, partition, offset })),
            { waitMs: 500, maxBytes, maxRecordsPerPartition },
          );
          latency.record(performance.now() - sentAt);
          fetches++;
          let got = 0;
          for (const result of results) {
            if ('error' in result) throw result.error;
            for (const m of result.messages) {
              bytes += (m.key?.length ?? 0) + (m.value?.length ?? 0);
              for (const [name, value] of Object.entries(m.headers)) bytes += name.length + value.length;
            }
            got += result.messages.length;
            positions.set(result.partition, result.nextOffset);
          }
          records += got;
          const now = performance.now();
          if (got > 0) lastData = now;
          else if (now - lastData >= timeoutMs) {
            s.note(`no records for ${timeoutMs} ms: stopping after ${records} of ${wanted}`);
            break;
          }
          const seconds = (now - started) / 1000;
          bar.update(Math.min(records, wanted), {
            rate: (records / seconds).toFixed(0),
            mbps: (bytes / 1024 / 1024 / seconds).toFixed(2),
            extra: `${fetches} fetches`,
          });
        }
      } finally {
        bar.stop();
      }
      // Up to the last data received: a run that ends by the idle timeout (gaps in a compacted topic,
      // retention moving the start) must not count the wait as consuming time.
      const summary = { ...summarize(records, bytes, (records >= wanted ? performance.now() : lastData) - started, latency.stats()), fetches };
      if (s.json) s.printJson({ topic, ...summary });
      else s.print(formatConsumeSummary(summary));
    });
}

export function benchCommand(): Command {
  return new Command('bench')
    .description('measure produce and consume throughput and latency')
    .addCommand(produceBench())
    .addCommand(consumeBench());
}
