/**
 * `brook subscriptions list|describe|create|alter|pause|resume|reset|delete`:
 * push delivery of a topic's records to a webhook or a Lambda function, shaped
 * like `brook groups` (a subscription's positions are a group's offsets).
 */
import { Command } from 'commander';
import type { SubscriptionDescription, SubscriptionSummary, SubscriptionTarget } from '../../sdk/index.js';
import { formatTime, table } from '../format.js';
import { UsageError } from '../errors.js';
import {
  alterSubscriptionRequest,
  createSubscriptionRequest,
  describeTarget,
  resetSubscriptionRequest,
  type CreateSubscriptionOptions,
  type SubscriptionSettingOptions,
} from '../parse.js';
import { examples, session, type Session } from '../session.js';

/** `webhook <url>` or `lambda <function ARN>`. */
export function formatTarget(target: SubscriptionTarget): string {
  return target.type === 'http' ? `webhook ${target.url}` : `lambda ${target.functionArn}`;
}

/** The settings as one `key=value ...` line, like the Config line of `topics describe`. */
export function formatSettings(subscription: SubscriptionSummary): string {
  return [
    `batchSize=${subscription.batchSize}`,
    `maxBatchingWindowMs=${subscription.maxBatchingWindowMs}`,
    `maxRetries=${subscription.maxRetries}`,
    `maxRecordAgeMs=${subscription.maxRecordAgeMs}`,
    `onFailure=${subscription.onFailure?.topic ?? '-'}`,
    `encoding=${subscription.encoding}`,
  ].join(' ');
}

/** An error as one table cell: on one line, and not so long that it hides the other columns (`--json` has it whole). */
export function errorCell(error: string | undefined, max = 80): string | undefined {
  if (error === undefined) return undefined;
  const line = error.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 3)}...` : line;
}

function printDescription(s: Session, subscription: SubscriptionDescription): void {
  if (s.json) return s.printJson(subscription);
  s.print(
    `${s.out.bold('Subscription:')} ${subscription.name}  ${s.out.bold('Topic:')} ${subscription.topic}  ${s.out.bold('State:')} ${subscription.state}  ${s.out.bold('Target:')} ${formatTarget(subscription.target)}`,
  );
  s.print(`${s.out.bold('Settings:')} ${formatSettings(subscription)}`);
  s.print('');
  if (subscription.partitions.length === 0) return s.note(`topic ${subscription.topic} no longer exists: nothing to deliver`);
  s.print(
    table(
      ['PARTITION', 'POSITION', 'HIGH-WATERMARK', 'LAG', 'ATTEMPTS', 'PARKED', 'DROPPED', 'LAST-DELIVERED', 'LAST-ERROR'],
      subscription.partitions.map((p) => [
        p.partition,
        p.position,
        p.highWatermark,
        p.lag,
        p.attempts,
        p.parked,
        p.dropped,
        p.lastDeliveredAt === undefined ? undefined : formatTime(p.lastDeliveredAt),
        errorCell(p.lastError),
      ]),
      s.out.bold,
    ),
  );
}

/** The settings options, shared by `create` and `alter`. */
function withSettings(command: Command): Command {
  return command
    .option('--batch-size <n>', 'records per delivery (1..10000; default 100)')
    .option('--batching-window-ms <ms>', 'how long a partition may wait to fill a batch (0..300000; default 0)')
    .option('--max-retries <n>', 'retries of a failing batch before it is parked or dropped; -1 retries forever (default 10)')
    .option('--max-record-age-ms <ms>', 'records older than this are parked or dropped instead of retried; -1: no limit (the default), else at least 60000')
    .option('--on-failure <topic>', 'park records that exhaust their retries on this topic (default: drop and count them)');
}

/** The top command (`brook`), whose options are the global ones. */
function rootOf(command: Command): Command {
  let root = command;
  while (root.parent) root = root.parent;
  return root;
}

export function subscriptionsCommand(): Command {
  const subscriptions = new Command('subscriptions').description(
    "push a topic's records to a webhook or a Lambda function: list, describe (with lag), create, alter, pause, resume, reset and delete subscriptions",
  );

  subscriptions
    .command('list')
    .alias('ls')
    .description('list subscriptions with their topic, state and target')
    .addHelpText('after', examples('brook subscriptions list', 'brook subscriptions list --json'))
    .action(async (_options: unknown, command: Command) => {
      const s = session(command);
      const list = (await s.brook.admin().listSubscriptions()).sort((a, b) => a.name.localeCompare(b.name));
      if (s.json) return s.printJson(list);
      if (list.length === 0) return s.note('no subscriptions');
      s.print(
        table(
          ['SUBSCRIPTION', 'TOPIC', 'STATE', 'TARGET'],
          list.map((sub) => [sub.name, sub.topic, sub.state, formatTarget(sub.target)]),
          s.out.bold,
        ),
      );
    });

  subscriptions
    .command('describe')
    .description("show a subscription's settings and, per partition, its position, high watermark, lag, attempts, parked and dropped records and last error")
    .argument('<name>')
    .addHelpText('after', examples('brook subscriptions describe orders-hook', 'brook subscriptions describe orders-hook --json'))
    .action(async (name: string, _options: unknown, command: Command) => {
      const s = session(command);
      printDescription(s, await s.brook.admin().describeSubscription(name));
    });

  withSettings(
    subscriptions
      .command('create')
      .description("create a subscription: deliver the topic's records to a webhook (signed; the secret is printed once) or a Lambda function")
      .argument('<name>', 'name: letters, digits, ".", "_", "-" (up to 255)')
      .requiredOption('-t, --topic <topic>', 'the topic to deliver')
      .option('--webhook-url <url>', 'deliver by POST to this url (https; plain http only on the local stack)')
      .option('--function-arn <arn>', 'deliver by invoking this Lambda function (arn:aws:lambda:<region>:<account>:function:<name>[:<alias>])')
      .option('--start-at <where>', 'earliest, latest (the default), or a time (ISO 8601 or epoch ms): the first record at or after it'),
  )
    .option('--encoding <encoding>', 'how keys, values and headers are written in deliveries: utf8 (the default) or base64')
    .addHelpText(
      'after',
      examples(
        'brook subscriptions create orders-hook --topic orders --webhook-url https://example.com/hooks/orders',
        'brook subscriptions create orders-fn --topic orders --function-arn arn:aws:lambda:eu-west-1:123456789012:function:on-order --start-at earliest',
        'brook subscriptions create audit --topic events --webhook-url https://example.com/audit --batch-size 500 --max-retries -1 --on-failure events.parked',
        '',
        '--url is the url of Brook itself (a global option); the webhook goes to --webhook-url.',
      ),
    )
    .action(async (name: string, options: CreateSubscriptionOptions, command: Command) => {
      const s = session(command);
      if (options.webhookUrl === undefined && options.functionArn === undefined && rootOf(command).getOptionValueSource('url') === 'cli') {
        throw new UsageError('give --webhook-url <url> or --function-arn <arn>: --url is the url of Brook itself (a global option)');
      }
      const created = await s.brook.admin().createSubscription(createSubscriptionRequest(name, options));
      const secret = created.target.secret;
      if (s.json) s.printJson(created);
      else {
        s.print(`Created subscription ${created.name} on topic ${created.topic}: ${formatTarget(created.target)}.`);
        if (secret !== undefined) s.print(`secret: ${secret}`);
      }
      if (secret !== undefined) {
        s.note(s.err.yellow('Save the secret now: it is shown only this once. It signs every delivery (the brook-signature header).'));
      }
    });

  withSettings(
    subscriptions
      .command('alter')
      .description("change a subscription's settings; those not given stay as they are")
      .argument('<name>'),
  )
    .option('--no-on-failure', 'stop parking: records that exhaust their retries are dropped and counted')
    .addHelpText(
      'after',
      examples(
        'brook subscriptions alter orders-hook --batch-size 500 --batching-window-ms 1000',
        'brook subscriptions alter orders-hook --max-retries -1 --on-failure orders.parked',
        'brook subscriptions alter orders-hook --no-on-failure',
      ),
    )
    .action(async (name: string, options: SubscriptionSettingOptions, command: Command) => {
      const s = session(command);
      const altered = await s.brook.admin().alterSubscription(name, alterSubscriptionRequest(options));
      if (s.json) return s.printJson(altered);
      s.print(`Altered subscription ${name}.`);
      printDescription(s, altered);
    });

  subscriptions
    .command('pause')
    .description('stop delivering; positions stay where they are')
    .argument('<name>')
    .addHelpText('after', examples('brook subscriptions pause orders-hook'))
    .action(async (name: string, _options: unknown, command: Command) => {
      const s = session(command);
      const paused = await s.brook.admin().pauseSubscription(name);
      if (s.json) s.printJson(paused);
      else s.print(`Paused subscription ${name}.`);
    });

  subscriptions
    .command('resume')
    .description('deliver again, from the positions where delivery stopped')
    .argument('<name>')
    .addHelpText('after', examples('brook subscriptions resume orders-hook'))
    .action(async (name: string, _options: unknown, command: Command) => {
      const s = session(command);
      const resumed = await s.brook.admin().resumeSubscription(name);
      if (s.json) s.printJson(resumed);
      else s.print(`Resumed subscription ${name}.`);
    });

  subscriptions
    .command('reset')
    .description("move a subscription's positions (applied at once: records are delivered again, or skipped)")
    .argument('<name>')
    .option('--to <where>', 'earliest (log start), latest (skip everything) or an offset (kept within the log)')
    .option('--to-timestamp <time>', 'the first record at or after this time (ISO 8601 or epoch ms)')
    .option('--partitions <list>', 'only these partitions, comma-separated (default: all)')
    .addHelpText(
      'after',
      examples(
        'brook subscriptions reset orders-hook --to earliest',
        'brook subscriptions reset orders-hook --to 1200 --partitions 0,2',
        'brook subscriptions reset orders-hook --to-timestamp 2026-01-31T12:00:00Z',
      ),
    )
    .action(async (name: string, options: { to?: string; toTimestamp?: string; partitions?: string }, command: Command) => {
      const s = session(command);
      const request = resetSubscriptionRequest(options);
      const partitions = await s.brook.admin().resetSubscription(name, request);
      if (s.json) return s.printJson({ subscription: name, partitions });
      s.print(table(['PARTITION', 'OLD-POSITION', 'NEW-POSITION'], partitions.map((p) => [p.partition, p.before, p.after]), s.out.bold));
      s.note(s.err.green(`reset ${partitions.length} partition${partitions.length === 1 ? '' : 's'} of subscription ${name} to ${describeTarget(request.to)}`));
    });

  subscriptions
    .command('delete')
    .alias('rm')
    .description('delete a subscription and its positions: delivery stops')
    .argument('<name>')
    .addHelpText('after', examples('brook subscriptions delete orders-hook'))
    .action(async (name: string, _options: unknown, command: Command) => {
      const s = session(command);
      await s.brook.admin().deleteSubscription(name);
      if (s.json) s.printJson({ deleted: name });
      else s.print(`Deleted subscription ${name}.`);
    });

  return subscriptions;
}
