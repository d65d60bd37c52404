/**
 * `brook produce --transactional`: every JSON line of standard input (or
 * --file), `{"topic", "partition"?, "key"?, "value", "headers"?}`, on any
 * topics, sent as one transaction of the SDK (`producer.transaction()`):
 * written all together or not at all. The whole input is read and checked
 * before anything is sent, so a bad line (exit 2), an unknown topic or a
 * refusal (exit 1) writes nothing; so does Ctrl-C while reading.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { CliError, EXIT, UsageError } from '../errors.js';
import { parseTransactionLine, type TransactionLine } from '../parse.js';
import type { Session } from '../session.js';
import { onStopSignals } from '../signals.js';

export interface TransactionalProduceOptions {
  topic?: string;
  file?: string;
  headers: Record<string, string>;
}

export async function produceTransaction(s: Session, options: TransactionalProduceOptions): Promise<void> {
  const input = options.file === undefined ? process.stdin : createReadStream(options.file);
  if (options.file === undefined && process.stdin.isTTY) s.note(s.err.dim('one JSON record per line; Ctrl-D sends them all as one transaction'));
  const lines = createInterface({ input, crlfDelay: Infinity, terminal: false });
  const records: TransactionLine[] = [];
  let interrupted = false;
  const removeSignalHandlers = onStopSignals(() => {
    interrupted = true;
    lines.close();
  });
  try {
    let lineNumber = 0;
    for await (const line of lines) {
      if (interrupted) break;
      const record = parseTransactionLine(line, ++lineNumber, options.topic);
      if (record) records.push(record);
    }
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new CliError(`cannot read ${options.file ?? 'standard input'}: ${(error as Error).message}`);
  } finally {
    removeSignalHandlers();
  }
  if (interrupted) throw new CliError('interrupted: nothing was sent (a transaction is all or nothing)', EXIT.interrupted);
  if (records.length === 0) {
    s.note('0 records: nothing was sent');
    if (s.json) s.printJson({ results: [] });
    return;
  }

  const producer = s.brook.producer();
  const transaction = producer.transaction();
  try {
    // One send per line, as `produce` sends them: keyless lines of a topic take turns over its partitions.
    for (const { topic, message } of records) {
      const headers = { ...options.headers, ...message.headers };
      await transaction.send({ topic, messages: [{ ...message, ...(Object.keys(headers).length > 0 ? { headers } : {}) }] });
    }
    const results = await transaction.commit();
    if (s.json) s.printJson({ results });
    const topics = [...new Set(records.map((record) => record.topic))];
    s.note(`${records.length} record${records.length === 1 ? '' : 's'} sent to ${topics.join(', ')} in one transaction`);
  } finally {
    if (transaction.isActive()) await transaction.abort();
    await producer.disconnect();
  }
}
