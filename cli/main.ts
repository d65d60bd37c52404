/**
 * The `brook` command: parses, runs one command, and turns any failure into
 * one line on stderr and an exit code (errors.ts). Bundled to dist/cli.js;
 * `npm run brook -- ...` runs this source through tsx.
 */
import { CommanderError } from 'commander';
import { describeFailure, EXIT } from './errors.js';
import { buildProgram } from './program.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here too, with exit code 0.
      if (error.exitCode === 0) return EXIT.ok;
      // A bare `brook` or `brook topics` has printed its help: that is not an error line.
      if (error.code === 'commander.help' || error.code === 'commander.helpDisplayed') return EXIT.usage;
      process.stderr.write(`brook: ${error.message.replace(/^error: /, '')} (see --help)\n`);
      return EXIT.usage;
    }
    const { line, exitCode } = describeFailure(error);
    process.stderr.write(`brook: ${line}\n`);
    return exitCode;
  }
}

const code = await main(process.argv);
// Let stdout drain (a pipe), then exit even if a timer or socket is still open.
process.stdout.write('', () => process.exit(code));
