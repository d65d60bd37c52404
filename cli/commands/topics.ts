/** `brook topics create|list|describe|alter|delete`, like kafka-topics. */
import { Command } from 'commander';
import { BrookError, type CreateTopicRequest, type TopicDescription } from '../../sdk/index.js';
import { table } from '../format.js';
import { alterRequest, parseConfig, parseInteger } from '../parse.js';
import { collect, examples, session, type Session } from '../session.js';

function printDescription(s: Session, topic: TopicDescription): void {
  if (s.json) return s.printJson(topic);
  const config = Object.entries(topic.config)
    .map(([key, value]) => `${key}=${String(value)}`)
    .join(' ');
  s.print(`${s.out.bold('Topic:')} ${topic.name}  ${s.out.bold('Partitions:')} ${topic.partitions.length}`);
  s.print(`${s.out.bold('Config:')} ${config}`);
  s.print('');
  s.print(
    table(
      ['PARTITION', 'LOG-START', 'HIGH-WATERMARK', 'RECORDS'],
      topic.partitions.map((p) => [p.partition, p.logStartOffset, p.highWatermark, p.highWatermark - p.logStartOffset]),
      s.out.bold,
    ),
  );
}

export function topicsCommand(): Command {
  const topics = new Command('topics').description('create, list, describe, alter and delete topics');

  topics
    .command('create')
    .description('create a topic')
    .argument('<topic>', 'name: letters, digits, ".", "_", "-" (up to 249)')
    .option('-p, --partitions <n>', 'number of partitions (1..1000)', '1')
    .option('-c, --config <key=value>', 'topic config, repeatable: retentionMs, retentionBytes, cleanupPolicy, maxMessageBytes (or retention.ms, ...)', collect)
    .option('--if-not-exists', 'succeed if the topic exists already')
    .addHelpText(
      'after',
      examples(
        'brook topics create orders --partitions 3',
        'brook topics create events -p 6 --config retentionMs=86400000 --config cleanupPolicy=compact',
        'brook topics create orders --if-not-exists',
      ),
    )
    .action(async (name: string, options: { partitions: string; config?: string[]; ifNotExists?: boolean }, command: Command) => {
      const s = session(command);
      const partitions = parseInteger(options.partitions, '--partitions', { min: 1, max: 1000 });
      const config = parseConfig(options.config ?? []);
      try {
        const created = await s.brook.admin().createTopic({ name, partitions, ...(Object.keys(config).length > 0 ? { config: config as CreateTopicRequest['config'] } : {}) });
        if (s.json) s.printJson(created);
        else s.print(`Created topic ${name} with ${created.partitions.length} partition${created.partitions.length === 1 ? '' : 's'}.`);
      } catch (error) {
        if (!(options.ifNotExists && error instanceof BrookError && error.code === 'TOPIC_EXISTS')) throw error;
        if (s.json) s.printJson(await s.brook.admin().describeTopic(name));
        else s.print(`Topic ${name} exists already.`);
      }
    });

  topics
    .command('list')
    .alias('ls')
    .description('list topics with their partition counts')
    .addHelpText('after', examples('brook topics list', 'brook topics list --json'))
    .action(async (_options: unknown, command: Command) => {
      const s = session(command);
      const list = (await s.brook.admin().listTopics()).sort((a, b) => a.name.localeCompare(b.name));
      if (s.json) return s.printJson(list);
      if (list.length === 0) return s.note('no topics');
      s.print(table(['TOPIC', 'PARTITIONS'], list.map((t) => [t.name, t.partitions]), s.out.bold));
    });

  topics
    .command('describe')
    .description('show a topic: its config and, per partition, log start and high watermark')
    .argument('<topic>')
    .addHelpText('after', examples('brook topics describe orders', 'brook topics describe orders --json'))
    .action(async (name: string, _options: unknown, command: Command) => {
      const s = session(command);
      printDescription(s, await s.brook.admin().describeTopic(name));
    });

  topics
    .command('alter')
    .description('add partitions (never fewer) or change config')
    .argument('<topic>')
    .option('-p, --partitions <n>', 'new partition count (only grows)')
    .option('-c, --config <key=value>', 'config to set, repeatable', collect)
    .option('--delete-config <key>', 'config key to put back to its default, repeatable', collect)
    .addHelpText(
      'after',
      examples(
        'brook topics alter orders --partitions 6',
        'brook topics alter orders --config retentionMs=-1',
        'brook topics alter orders --delete-config retentionMs',
      ),
    )
    .action(async (name: string, options: { partitions?: string; config?: string[]; deleteConfig?: string[] }, command: Command) => {
      const s = session(command);
      const request = alterRequest(options);
      const altered = await s.brook.admin().alterTopic(name, request);
      if (s.json) return s.printJson(altered);
      s.print(`Altered topic ${name}.`);
      printDescription(s, altered);
    });

  topics
    .command('delete')
    .alias('rm')
    .description('delete a topic and its data (removed in the background; the name is free at once)')
    .argument('<topic>')
    .option('--if-exists', 'succeed if there is no such topic')
    .addHelpText('after', examples('brook topics delete orders', 'brook topics delete orders --if-exists'))
    .action(async (name: string, options: { ifExists?: boolean }, command: Command) => {
      const s = session(command);
      try {
        await s.brook.admin().deleteTopic(name);
        if (s.json) s.printJson({ deleted: name });
        else s.print(`Deleted topic ${name}.`);
      } catch (error) {
        if (!(options.ifExists && error instanceof BrookError && error.code === 'TOPIC_NOT_FOUND')) throw error;
        if (s.json) s.printJson({ deleted: null });
        else s.print(`Topic ${name} does not exist.`);
      }
    });

  return topics;
}
