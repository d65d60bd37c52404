/**
 * Output: borderless tables (cli-table3), colour only on a terminal
 * (picocolors), and the record formats of `brook consume`. The functions
 * that build text are pure, so they are unit-tested without a terminal.
 */
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

const utf8 = (bytes: Buffer | null): string | null => (bytes === null ? null : bytes.toString('utf8'));

/**
 * One record as one output line (without the newline).
 * - text (kafka-console-consumer's DefaultMessageFormatter): the fields asked
 *   for, tab-separated, in the order `CreateTime:<ms>`, `Partition:<p>`,
 *   `Offset:<o>`, headers (`name:value,...` or `NO_HEADERS`), key, value; a
 *   null key or value prints `null`.
 * - json: `{"topic","partition","offset","timestamp","key","value","headers"}`
 *   with UTF-8 strings (every field, whatever the --print options).
 */
export function formatRecord({ topic, partition, message }: PrintableRecord, options: PrintOptions = {}): string {
  if (options.format === 'json') {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(message.headers)) headers[name] = value.toString('utf8');
    return JSON.stringify({
      topic,
      partition,
      offset: message.offset,
      timestamp: message.timestamp,
      key: utf8(message.key),
      value: utf8(message.value),
      headers,
    });
  }
  const fields: string[] = [];
  if (options.printTimestamp) fields.push(`CreateTime:${message.timestamp}`);
  if (options.printPartition) fields.push(`Partition:${partition}`);
  if (options.printOffset) fields.push(`Offset:${message.offset}`);
  if (options.printHeaders) {
    const entries = Object.entries(message.headers);
    fields.push(entries.length === 0 ? 'NO_HEADERS' : entries.map(([name, value]) => `${name}:${value.toString('utf8')}`).join(','));
  }
  if (options.printKey) fields.push(utf8(message.key) ?? 'null');
  fields.push(utf8(message.value) ?? 'null');
  return fields.join(options.separator ?? '\t');
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
