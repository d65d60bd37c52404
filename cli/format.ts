/**
 * Output: borderless tables (cli-table3), colour only on a terminal
 * (picocolors), and the record formats of `brook consume`. The functions
 * that build text are pure, so they are unit-tested without a terminal.
 */
import { isUtf8 } from 'node:buffer';
import Table from 'cli-table3';
import pc from 'picocolors';
import type { KafkaMessage } from '../sdk/index.js';

/** Colours for a stream: real ones on a TTY (and not under NO_COLOR), none otherwise. */
export function colorsFor(stream: NodeJS.WriteStream): ReturnType<typeof pc.createColors> {
  return pc.createColors(stream.isTTY === true && !process.env.NO_COLOR);
}

/** A table without borders, like `kubectl get`: a header row, then rows, columns padded. */
export function table(head: readonly string[], rows: readonly (readonly (string | number | null | undefined)[])[], bold: (text: string) => string = (t) => t): string {
  const none = {
    top: '', 'top-mid': '', 'top-left': '', 'top-right': '',
    bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
    left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '  ',
  };
  const t = new Table({ head: head.map((h) => bold(h)), chars: none, style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 } });
  for (const row of rows) t.push(row.map((cell) => (cell === null || cell === undefined ? '-' : String(cell))));
  return t
    .toString()
    .split('\n')
    .map((line) => line.trimEnd())
    .filter((line) => line !== '')
    .join('\n');
}

// ---- records ---------------------------------------------------------------------------------

export interface PrintOptions {
  printKey?: boolean;
  printOffset?: boolean;
  printPartition?: boolean;
  printTimestamp?: boolean;
  printHeaders?: boolean;
  /** Between the printed fields. @default '\t' */
  separator?: string;
  format?: 'text' | 'json';
}

export interface PrintableRecord {
  topic: string;
  partition: number;
  message: KafkaMessage;
}

/** Whether the key, the value and every header value are valid UTF-8. */
function isUtf8Message(message: KafkaMessage): boolean {
  return (
    (message.key === null || isUtf8(message.key)) &&
    (message.value === null || isUtf8(message.value)) &&
    Object.values(message.headers).every((value) => isUtf8(value))
  );
}

/**
 * One record as one output line (without the newline), its bytes exact.
 * - text (kafka-console-consumer's DefaultMessageFormatter): the fields asked
 *   for, tab-separated, in the order `CreateTime:<ms>`, `Partition:<p>`,
 *   `Offset:<o>`, headers (`name:value,...` or `NO_HEADERS`), key, value; a
 *   null key or value prints `null`. Keys, values and header values are
 *   written as their bytes, whatever they are.
 * - json: `{"topic","partition","offset","timestamp","key","value","headers"}`
 *   (every field, whatever the --print options) with UTF-8 strings; a record
 *   whose key, value or a header value is not valid UTF-8 has them all in
 *   base64 instead, and `"encoding":"base64"`, as the API's fetch answers.
 */
export function recordLine({ topic, partition, message }: PrintableRecord, options: PrintOptions = {}): Buffer {
  if (options.format === 'json') {
    const encoding = isUtf8Message(message) ? 'utf8' : 'base64';
    const text = (bytes: Buffer | null): string | null => (bytes === null ? null : bytes.toString(encoding));
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(message.headers)) headers[name] = value.toString(encoding);
    return Buffer.from(
      JSON.stringify({
        topic,
        partition,
        offset: message.offset,
        timestamp: message.timestamp,
        key: text(message.key),
        value: text(message.value),
        headers,
        ...(encoding === 'base64' ? { encoding } : {}),
      }),
    );
  }
  const fields: Buffer[] = [];
  if (options.printTimestamp) fields.push(Buffer.from(`CreateTime:${message.timestamp}`));
  if (options.printPartition) fields.push(Buffer.from(`Partition:${partition}`));
  if (options.printOffset) fields.push(Buffer.from(`Offset:${message.offset}`));
  if (options.printHeaders) {
    const entries = Object.entries(message.headers);
    const comma = Buffer.from(',');
    fields.push(
      entries.length === 0
        ? Buffer.from('NO_HEADERS')
        : Buffer.concat(entries.flatMap(([name, value], i) => [...(i > 0 ? [comma] : []), Buffer.from(`${name}:`), value])),
    );
  }
  const nullText = Buffer.from('null');
  if (options.printKey) fields.push(message.key ?? nullText);
  fields.push(message.value ?? nullText);
  const separator = Buffer.from(options.separator ?? '\t');
  return Buffer.concat(fields.flatMap((field, i) => (i > 0 ? [separator, field] : [field])));
}

/** `recordLine` as text, for display (bytes that are not UTF-8 become U+FFFD in text format). */
export function formatRecord(record: PrintableRecord, options: PrintOptions = {}): string {
  return recordLine(record, options).toString('utf8');
}

// ---- numbers ---------------------------------------------------------------------------------

/** `1234567` -> `1,234,567`; fractions to `digits` places. */
export function formatNumber(value: number, digits = 0): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** An epoch-ms time as ISO, or `-` when there is none. */
export function formatTime(ms: number | null | undefined): string {
  return ms === null || ms === undefined ? '-' : new Date(ms).toISOString();
}
