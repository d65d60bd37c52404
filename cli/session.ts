/**
 * What a command's action gets: the client (made on first use from the
 * global options), whether to print JSON, and the output streams with
 * colours only where they are a terminal.
 */
import type { Command } from 'commander';
import type { Brook } from '../sdk/index.js';
import { connect, type GlobalOptions } from './context.js';
import { colorsFor } from './format.js';

export interface Session {
  readonly brook: Brook;
  /** `--json`: print machine-readable JSON on stdout instead of tables. */
  readonly json: boolean;
  /** A line (or lines) on stdout. */
  print(text: string): void;
  /** A value as pretty JSON on stdout. */
  printJson(value: unknown): void;
  /** A status line on stderr (not data: keeps stdout clean for pipes). */
  note(text: string): void;
  /** Colours for stdout. */
  readonly out: ReturnType<typeof colorsFor>;
  /** Colours for stderr. */
  readonly err: ReturnType<typeof colorsFor>;
}

export function session(command: Command): Session {
  const globals = command.optsWithGlobals<GlobalOptions>();
  let brook: Brook | undefined;
  return {
    get brook() {
      return (brook ??= connect(globals));
    },
    json: globals.json === true,
    print: (text) => void process.stdout.write(`${text}\n`),
    printJson: (value) => void process.stdout.write(`${JSON.stringify(value, null, 2)}\n`),
    note: (text) => void process.stderr.write(`${text}\n`),
    out: colorsFor(process.stdout),
    err: colorsFor(process.stderr),
  };
}

/** Help text after a command's own: its examples. */
export function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((line) => (line === '' ? '' : `  ${line}`)).join('\n')}\n`;
}

/** Collects a repeatable option's values: `.option('--config <k=v>', '...', collect, [])`. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
