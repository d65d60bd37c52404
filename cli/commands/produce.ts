/**
 * `brook produce`: one record per line of standard input (or --file), like
 * kafka-console-producer. Lines go through the SDK's idempotent producer,
 * lingering up to 100 ms so lines read together share a batch; at the
 * end of input (or Ctrl-C) everything is flushed and the count is reported on
 * stderr. With --transactional, JSON lines on any topics go as one
 * transaction instead (produceTransaction.ts).
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { Command } from 'commander';
import { CliError, UsageError } from '../errors.js';
import { parseHeaders, parseInteger, parseLine } from '../parse.js';
import { collect, examples, session } from '../session.js';
import { onStopSignals } from '../signals.js';
import { produceTransaction } from './produceTransaction.js';

/** Sends not yet answered before reading pauses (bounded memory on a large file). */
const MAX_PENDING = 5_000;

interface ProduceOptions {
  topic?: string;
  transactional?: boolean;
  keySeparator?: string;
  partition?: string;
  file?: string;
  header?: string[];
  lingerMs: string;
}

export function produceCommand(): Command {
  return new Command('produce')
    .description('send one record per line of standard input (or a file) to a topic, or JSON lines to any topics as one transaction')
    .option('-t, --topic <topic>', 'topic to produce to (with --transactional: for lines that name none)')
    .option('-k, --key-separator <sep>', 'each line is key<sep>value (the key picks the partition)')
    .option('-p, --partition <n>', 'send every record to this partition')
    .option('-f, --file <path>', 'read lines from this file instead of standard input')
    .option('-H, --header <name=value>', 'a header on every record, repeatable', collect)
    .option('--linger-ms <ms>', 'how long lines may wait to share a batch', '100')
    .option('--transactional', 'each line is JSON {"topic", "partition"?, "key"?, "value", "headers"?}; all are sent as one transaction, all or nothing')
    .addHelpText(
      'after',
      examples(
        'echo hello | brook produce --topic orders',
        "printf 'customer-1:created\\ncustomer-2:paid\\n' | brook produce --topic orders --key-separator :",
        'brook produce --topic orders --file events.txt --partition 0 --header source=import',
        'brook produce --topic orders        # type lines, Ctrl-D to finish',
        'brook produce --transactional --file moves.jsonl   # {"topic":"debits","key":"a","value":"-5"} ...',
      ),
    )
    .action(async (options: ProduceOptions, command: Command) => {
      const s = session(command);
      if (options.keySeparator === '') throw new UsageError('--key-separator must not be empty');
      const headers = parseHeaders(options.header ?? []);
      if (options.transactional) {
        if (options.partition !== undefined || options.keySeparator !== undefined) {
          throw new UsageError('--partition and --key-separator do not go with --transactional: each JSON line has its own');
        }
        return produceTransaction(s, { ...(options.topic !== undefined ? { topic: options.topic } : {}), ...(options.file !== undefined ? { file: options.file } : {}), headers });
      }
      if (options.topic === undefined) throw new UsageError("required option '-t, --topic <topic>' not specified (see --help)");
      const topic = options.topic;
      const lingerMs = parseInteger(options.lingerMs, '--linger-ms', { min: 0, max: 60_000 });
      const description = await s.brook.admin().describeTopic(topic); // TOPIC_NOT_FOUND before reading anything
      let partition: number | undefined;
      if (options.partition !== undefined) {
        partition = parseInteger(options.partition, '--partition', { min: 0 });
        if (partition >= description.partitions.length) {
          throw new UsageError(`--partition ${partition}: topic ${topic} has partitions 0..${description.partitions.length - 1}`);
        }
      }

      const input = options.file === undefined ? process.stdin : createReadStream(options.file);
      if (options.file === undefined && process.stdin.isTTY) s.note(s.err.dim('one record per line; Ctrl-D sends and exits'));
      const lines = createInterface({ input, crlfDelay: Infinity, terminal: false });
      const producer = s.brook.producer({ lingerMs });
      const pending = new Set<Promise<void>>();
      let sent = 0;
      let lineNumber = 0;
      let failure: unknown;
      let interrupted = false;
      // The first Ctrl-C stops reading and still delivers what was read; a second one exits at once.
      const removeSignalHandlers = onStopSignals(() => {
        interrupted = true;
        lines.close();
      });
      try {
        for await (const line of lines) {
          if (failure !== undefined || interrupted) break;
          lineNumber++;
          const { key, value } = parseLine(line, options.keySeparator, lineNumber);
          const message = {
            value,
            ...(key !== undefined ? { key } : {}),
            ...(partition !== undefined ? { partition } : {}),
            ...(Object.keys(headers).length > 0 ? { headers } : {}),
          };
          const sending: Promise<void> = producer.send({ topic: topic, messages: [message] }).then(
            () => void sent++,
            (error: unknown) => void (failure ??= error),
          );
          pending.add(sending);
          void sending.finally(() => pending.delete(sending));
          if (pending.size >= MAX_PENDING) await Promise.race(pending);
        }
      } catch (error) {
        failure ??=
          error instanceof UsageError
            ? error
            : new CliError(`cannot read ${options.file ?? 'standard input'}: ${(error as Error).message}`);
      } finally {
        await Promise.all(pending);
        await producer.disconnect();
        removeSignalHandlers();
      }
      // A failure before anything was sent is the one line main.ts prints.
      if (sent > 0 || failure === undefined) s.note(`${sent} record${sent === 1 ? '' : 's'} sent to ${topic}${interrupted ? ' (interrupted)' : ''}`);
      if (failure !== undefined) throw failure;
    });
}
