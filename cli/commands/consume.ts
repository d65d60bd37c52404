/**
 * `brook consume`: records to standard output, one per line, like
 * kafka-console-consumer.
 * - With `--group`: a member of that consumer group (the SDK consumer):
 *   starts at the group's committed offsets (else the log start with
 *   `--from-beginning`, else the end) and commits what it printed; Ctrl-C
 *   commits and leaves the group, so its partitions move at once.
 * - Without: no group at all (nothing joined, nothing committed): every
 *   partition (or `--partition`) is read directly by offset with the SDK reader.
 */
import { Command } from 'commander';
import { BrookError, type Brook, type KafkaMessage } from '../../sdk/index.js';
import { describeFailure, UsageError } from '../errors.js';
import { recordLine, type PrintOptions } from '../format.js';
import { parseInteger, startPosition } from '../parse.js';
import { examples, session } from '../session.js';
import { onStopSignals } from '../signals.js';

interface ConsumeOptions {
  topic: string;
  group?: string;
  fromBeginning?: boolean;
  partition?: string;
  offset?: string;
  maxMessages?: string;
  timeoutMs?: string;
  printKey?: boolean;
  printOffset?: boolean;
  printPartition?: boolean;
  printTimestamp?: boolean;
  printHeaders?: boolean;
  separator: string;
  format: string;
}

/** Ends the consumption: the limit, a quiet spell, Ctrl-C, or a closed pipe. */
class Stopper {
  readonly stopped: Promise<string>;
  #resolve!: (reason: string) => void;
  #done = false;
  constructor() {
    this.stopped = new Promise((resolve) => (this.#resolve = resolve));
  }
  get done(): boolean {
    return this.#done;
  }
  stop(reason: string): void {
    if (this.#done) return;
    this.#done = true;
    this.#resolve(reason);
  }
}

const NEWLINE = Buffer.from('\n');

/** Writes lines (exact bytes) to stdout; a closed pipe (`| head`) stops consumption quietly. */
function writer(stopper: Stopper): (lines: Buffer[]) => void {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') stopper.stop('pipe closed');
  });
  return (lines) => {
    if (lines.length > 0 && !stopper.done) process.stdout.write(Buffer.concat(lines.flatMap((line) => [line, NEWLINE])));
  };
}

export function consumeCommand(): Command {
  return new Command('consume')
    .description('print records of a topic, one per line')
    .requiredOption('-t, --topic <topic>', 'topic to consume')
    .option('-g, --group <group>', 'consume as a member of this consumer group (and commit)')
    .option('--from-beginning', 'start at the log start (with --group: only where the group has no committed offset)')
    .option('-p, --partition <n>', 'read only this partition (not with --group)')
    .option('-o, --offset <offset>', 'with --partition: start at this offset, or earliest / latest')
    .option('-n, --max-messages <n>', 'exit after this many records')
    .option('--timeout-ms <ms>', 'exit when no record arrived for this long')
    .option('--print-key', 'print the key before the value')
    .option('--print-offset', 'print Offset:<n>')
    .option('--print-partition', 'print Partition:<n>')
    .option('--print-timestamp', 'print CreateTime:<ms>')
    .option('--print-headers', 'print the headers as name:value,... (NO_HEADERS if none)')
    .option('--separator <sep>', 'between printed fields', '\t')
    .option('--format <format>', 'text, or json: one JSON object per record with every field', 'text')
    .addHelpText(
      'after',
      examples(
        'brook consume --topic orders --from-beginning',
        'brook consume --topic orders --from-beginning --max-messages 10 --print-key --print-offset',
        'brook consume --topic orders --partition 2 --offset 100 --format json',
        'brook consume --topic orders --group billing          # Ctrl-C commits and leaves the group',
        'brook consume --topic orders --from-beginning --timeout-ms 2000 > dump.txt',
      ),
    )
    .action(async (options: ConsumeOptions, command: Command) => {
      const s = session(command);
      if (options.format !== 'text' && options.format !== 'json') throw new UsageError(`--format must be text or json, got "${options.format}"`);
      if (options.group !== undefined && options.partition !== undefined) {
        throw new UsageError('--partition cannot be used with --group (the group assigns partitions)');
      }
      if (options.offset !== undefined && options.partition === undefined) throw new UsageError('--offset needs --partition');
      if (options.offset !== undefined && options.fromBeginning) throw new UsageError('--offset and --from-beginning exclude each other');
      const maxMessages = options.maxMessages === undefined ? Infinity : parseInteger(options.maxMessages, '--max-messages', { min: 1 });
      const timeoutMs = options.timeoutMs === undefined ? undefined : parseInteger(options.timeoutMs, '--timeout-ms', { min: 1 });
      const print: PrintOptions = {
        printKey: options.printKey,
        printOffset: options.printOffset,
        printPartition: options.printPartition,
        printTimestamp: options.printTimestamp,
        printHeaders: options.printHeaders,
        separator: options.separator,
        format: options.format,
      };

      const stopper = new Stopper();
      const write = writer(stopper);
      let count = 0;
      let lastActivity = Date.now();
      /** Formats what fits under --max-messages; answers the messages printed. */
      const emit = (topic: string, partition: number, messages: KafkaMessage[]): KafkaMessage[] => {
        const taken = messages.slice(0, Math.max(0, maxMessages - count));
        if (stopper.done) return [];
        write(taken.map((message) => recordLine({ topic, partition, message }, print)));
        count += taken.length;
        if (taken.length > 0) lastActivity = Date.now();
        if (count >= maxMessages) stopper.stop('limit');
        return taken;
      };
      const removeSignalHandlers = onStopSignals(() => stopper.stop('interrupted'));
      const quiet =
        timeoutMs === undefined
          ? undefined
          : setInterval(() => {
              if (Date.now() - lastActivity >= timeoutMs) stopper.stop('timeout');
            }, Math.min(timeoutMs, 200));
      try {
        if (options.group !== undefined) {
          await consumeInGroup(s.brook, options.group, options.topic, options.fromBeginning === true, stopper, emit);
        } else {
          await consumeDirectly(s.brook, options, stopper, emit);
        }
      } finally {
        clearInterval(quiet);
        removeSignalHandlers();
      }
      s.note(`Processed a total of ${count} message${count === 1 ? '' : 's'}`);
    });
}

type Emit = (topic: string, partition: number, messages: KafkaMessage[]) => KafkaMessage[];

/** A group member: prints each batch, marks what it printed as processed; on stop, commits and leaves. */
async function consumeInGroup(brook: Brook, group: string, topic: string, fromBeginning: boolean, stopper: Stopper, emit: Emit): Promise<void> {
  // What the consumer recovers from by itself is one line on stderr, never a stack trace.
  const logger = { error: (message: string, error: unknown) => console.error(`brook: ${message}: ${describeFailure(error).line}`) };
  const consumer = brook.consumer({ groupId: group, clientId: 'brook-cli', maxWaitTimeMs: 1_000, logger });
  await consumer.subscribe({ topics: [topic], fromBeginning });
  let crash: unknown;
  try {
    await consumer.run({
      // A refused key or a deleted topic: the SDK has left the group; end with that error, not a hang.
      onCrash: (error) => {
        crash = error;
        stopper.stop('crashed');
      },
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, isRunning }) => {
        if (!isRunning()) return;
        const printed = emit(batch.topic, batch.partition, batch.messages);
        const last = printed.at(-1);
        if (last !== undefined) resolveOffset(last.offset);
      },
    });
    await stopper.stopped;
  } finally {
    await consumer.disconnect(); // commits what was printed, then leaves
  }
  if (crash !== undefined) throw crash;
}

/** No group: every partition from its start position, by offset, in one long poll per round. */
async function consumeDirectly(
  brook: Brook,
  options: ConsumeOptions,
  stopper: Stopper,
  emit: Emit,
): Promise<void> {
  const admin = brook.admin();
  const { topic } = options;
  const description = await admin.describeTopic(topic);
  let partitions = description.partitions.map((p) => p.partition);
  if (options.partition !== undefined) {
    const partition = parseInteger(options.partition, '--partition', { min: 0 });
    if (!partitions.includes(partition)) throw new UsageError(`--partition ${partition}: topic ${topic} has partitions 0..${partitions.length - 1}`);
    partitions = [partition];
  }
  const start = startPosition(options);
  const positions = new Map<number, number>(
    await Promise.all(
      partitions.map(async (partition): Promise<[number, number]> => [partition, typeof start === 'number' ? start : await admin.fetchOffset(topic, partition, start)]),
    ),
  );
  const reader = brook.reader();
  const interrupted = stopper.stopped.then(() => undefined);
  while (!stopper.done) {
    // A long poll; Ctrl-C does not wait for it (nothing to clean up without a group).
    const round = await Promise.race([
      reader.fetch(
        [...positions].map(([partition, offset]) => ({ topic, partition, offset })),
        { waitMs: 1_000 },
      ),
      interrupted,
    ]);
    if (round === undefined) break;
    for (const result of round) {
      if ('error' in result) {
        const { error } = result;
        const logStart = error.details.logStartOffset;
        // Data under the position was deleted (retention): go on from the log start, as auto.offset.reset=earliest.
        if (error.code === 'OFFSET_OUT_OF_RANGE' && typeof logStart === 'number' && logStart > positions.get(result.partition)!) {
          positions.set(result.partition, logStart);
          continue;
        }
        throw new BrookError(error.code, `partition ${result.partition}: ${error.message}`, error.details);
      }
      emit(topic, result.partition, result.messages);
      if (stopper.done) break;
      positions.set(result.partition, result.nextOffset);
    }
  }
}
