/**
 * The `brook` command tree (commander): global options, then one file per
 * command under commands/. Kept apart from main.ts so tests can build it.
 */
import { Command, Option } from 'commander';
import { benchCommand } from './commands/bench.js';
import { consumeCommand } from './commands/consume.js';
import { groupsCommand } from './commands/groups.js';
import { keysCommand } from './commands/keys.js';
import { produceCommand } from './commands/produce.js';
import { subscriptionsCommand } from './commands/subscriptions.js';
import { topicsCommand } from './commands/topics.js';
import { examples } from './session.js';

export const VERSION = '0.1.0';

/** Applies to every command: usage errors end as our one line (main.ts), help lists examples. */
function configure(command: Command): void {
  command.exitOverride();
  command.configureOutput({
    // Commander's own error lines ("error: required option ...") are printed by main.ts, once.
    outputError: () => undefined,
  });
  command.showSuggestionAfterError(true);
  for (const sub of command.commands) configure(sub);
}

export function buildProgram(): Command {
  const program = new Command('brook')
    .description('Brook from the command line: topics, produce, consume, consumer groups, subscriptions, benchmarks and API keys')
    .version(VERSION, '-V, --version')
    .addOption(new Option('--url <url>', 'Brook API url (default: the local stack, http://127.0.0.1:<BROOK_PORT or 8080>)').env('BROOK_URL'))
    .addOption(
      new Option('--api-key <key>', 'API key (default for the local stack: the admin key npm start saved in .brook/admin-key)').env('BROOK_API_KEY'),
    )
    .option('--json', 'machine-readable JSON output')
    .addCommand(topicsCommand())
    .addCommand(produceCommand())
    .addCommand(consumeCommand())
    .addCommand(groupsCommand())
    .addCommand(subscriptionsCommand())
    .addCommand(benchCommand())
    .addCommand(keysCommand())
    .addHelpText(
      'after',
      examples(
        'brook topics create orders --partitions 3',
        "printf 'k1:hello\\nk2:world\\n' | brook produce --topic orders --key-separator :",
        'brook consume --topic orders --from-beginning --print-key',
        'brook groups describe billing',
        'brook subscriptions create orders-hook --topic orders --webhook-url https://example.com/hooks/orders',
        'brook --url https://abc.execute-api.eu-west-1.amazonaws.com --api-key $KEY topics list',
        '',
        'Exit codes: 0 done, 1 the server refused or failed, 2 usage or input error, 3 server unreachable.',
      ),
    );
  configure(program);
  return program;
}
