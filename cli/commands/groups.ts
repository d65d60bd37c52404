/** `brook groups list|describe|reset-offsets|delete`, like kafka-consumer-groups. */
import { Command } from 'commander';
import type { GroupDescription, OffsetReset } from '../../sdk/index.js';
import { formatTime, table } from '../format.js';
import { describeTarget, planResets, type ResetOptions } from '../parse.js';
import { collect, examples, session } from '../session.js';

export interface LagRow {
  topic: string;
  partition: number;
  /** Committed offset (the next to read), or null if none. */
  currentOffset: number | null;
  logEndOffset: number | null;
  lag: number | null;
  memberId: string | null;
  clientId: string | null;
}

/**
 * One row per partition, sorted by topic and partition: committed offset,
 * high watermark, lag and the member that owns it now. Rows come from the
 * group's commits, its members' assignments, and `highWatermarks`
 * (`topic\0partition` -> high watermark, every partition of the group's
 * topics), which also gives the log end of partitions with no commit (whose
 * offset and lag stay empty, as kafka-consumer-groups prints them).
 */
export function lagRows(group: GroupDescription, highWatermarks: ReadonlyMap<string, number> = new Map()): LagRow[] {
  const rows = new Map<string, LagRow>();
  const key = (topic: string, partition: number) => `${topic}\u0000${partition}`;
  for (const offset of group.offsets) {
    rows.set(key(offset.topic, offset.partition), {
      topic: offset.topic,
      partition: offset.partition,
      currentOffset: offset.offset,
      logEndOffset: offset.highWatermark,
      lag: offset.lag,
      memberId: null,
      clientId: null,
    });
  }
  for (const member of group.members) {
    for (const { topic, partitions } of member.assignment) {
      for (const partition of partitions) {
        const k = key(topic, partition);
        const hw = highWatermarks.get(k) ?? null;
        const row = rows.get(k) ?? { topic, partition, currentOffset: null, logEndOffset: hw, lag: null, memberId: null, clientId: null };
        row.memberId = member.memberId;
        row.clientId = member.clientId;
        rows.set(k, row);
      }
    }
  }
  for (const [k, hw] of highWatermarks) {
    if (rows.has(k)) continue;
    const [topic, partition] = k.split('\u0000') as [string, string];
    rows.set(k, { topic, partition: Number(partition), currentOffset: null, logEndOffset: hw, lag: null, memberId: null, clientId: null });
  }
  return [...rows.values()].sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
}

export function groupsCommand(): Command {
  const groups = new Command('groups').description('list, describe (with lag), reset offsets of and delete consumer groups');

  groups
    .command('list')
    .alias('ls')
    .description('list consumer groups with their state and member count')
    .addHelpText('after', examples('brook groups list', 'brook groups list --json'))
    .action(async (_options: unknown, command: Command) => {
      const s = session(command);
      const list = (await s.brook.admin().listGroups()).sort((a, b) => a.group.localeCompare(b.group));
      if (s.json) return s.printJson(list);
      if (list.length === 0) return s.note('no consumer groups');
      s.print(table(['GROUP', 'STATE', 'MEMBERS'], list.map((g) => [g.group, g.state, g.members]), s.out.bold));
    });

  groups
    .command('describe')
    .description("show a group's state, and per partition its committed offset, log end, lag and owner")
    .argument('<group>')
    .option('--members', 'list the members instead: id, client id, instance id, partitions, lease expiry')
    .addHelpText('after', examples('brook groups describe billing', 'brook groups describe billing --members', 'brook groups describe billing --json'))
    .action(async (name: string, options: { members?: boolean }, command: Command) => {
      const s = session(command);
      const admin = s.brook.admin();
      const group = await admin.describeGroup(name);
      if (s.json) return s.printJson(group);
      s.print(
        `${s.out.bold('Group:')} ${group.group}  ${s.out.bold('State:')} ${group.state}  ${s.out.bold('Generation:')} ${group.generation}  ${s.out.bold('Members:')} ${group.members.length}`,
      );
      s.print('');
      if (options.members) {
        if (group.members.length === 0) return s.note('no live members');
        s.print(
          table(
            ['MEMBER-ID', 'CLIENT-ID', 'INSTANCE-ID', 'PARTITIONS', 'EXPIRES'],
            group.members.map((m) => [
              m.memberId,
              m.clientId,
              m.instanceId,
              m.assignment.map(({ topic, partitions }) => `${topic}:${partitions.join(',')}`).join(' ') || '-',
              formatTime(m.expiresAt),
            ]),
            s.out.bold,
          ),
        );
        return;
      }
      // Every partition of the group's topics, so those without a commit show too.
      const topics = new Set([...group.offsets.map((o) => o.topic), ...group.members.flatMap((m) => m.assignment.map((a) => a.topic))]);
      const highWatermarks = new Map<string, number>();
      await Promise.all(
        [...topics].map(async (topic) => {
          const description = await admin.describeTopic(topic).catch(() => undefined); // deleted since: its commits still show
          for (const p of description?.partitions ?? []) highWatermarks.set(`${topic}\u0000${p.partition}`, p.highWatermark);
        }),
      );
      const rows = lagRows(group, highWatermarks);
      if (rows.length === 0) return s.note('no committed offsets and no assigned partitions');
      s.print(
        table(
          ['TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'MEMBER-ID', 'CLIENT-ID'],
          rows.map((r) => [r.topic, r.partition, r.currentOffset, r.logEndOffset, r.lag, r.memberId, r.clientId]),
          s.out.bold,
        ),
      );
    });

  groups
    .command('reset-offsets')
    .description("plan (default) or apply a change of a group's committed offsets; the group must have no live members")
    .argument('<group>')
    .option('-t, --topic <topic[:partitions]>', 'topic to reset, all its partitions or some (orders:0,2); repeatable', collect)
    .option('--all-topics', 'every topic the group has committed offsets for')
    .option('--to-earliest', 'to the log start')
    .option('--to-latest', 'to the high watermark (skip everything)')
    .option('--to-datetime <time>', 'to the first record at or after this time (ISO 8601 or epoch ms)')
    .option('--to-offset <n>', 'to this offset')
    .option('--shift-by <n>', 'by this many records (negative: back), within the log')
    .option('--dry-run', 'show what would change and change nothing (the default)')
    .option('--execute', 'apply the change')
    .addHelpText(
      'after',
      examples(
        'brook groups reset-offsets billing --topic orders --to-earliest                # dry run: prints the plan',
        'brook groups reset-offsets billing --topic orders --to-earliest --execute',
        'brook groups reset-offsets billing --topic orders:0,1 --shift-by -100 --execute',
        'brook groups reset-offsets billing --all-topics --to-datetime 2026-01-31T12:00:00Z --execute',
      ),
    )
    .action(async (name: string, options: ResetOptions & { topic?: string[]; allTopics?: boolean }, command: Command) => {
      const s = session(command);
      const admin = s.brook.admin();
      // --all-topics: the topics the group committed to that still exist (offsets of a deleted topic cannot move).
      const existing = options.allTopics ? new Set((await admin.listTopics()).map((t) => t.name)) : undefined;
      const committedTopics = options.allTopics ? (await admin.fetchGroupOffsets(name)).map((o) => o.topic).filter((t) => existing!.has(t)) : [];
      const requests = planResets(options, committedTopics);
      // One request per topic: dry-run them all first, so that a refusal (a member came back, a topic was
      // deleted) stops the command before any topic is reset, rather than half-way.
      if (requests[0]!.dryRun !== true) {
        for (const request of requests) await admin.resetOffsets(name, { ...request, dryRun: true });
      }
      const results: OffsetReset[] = [];
      for (const request of requests) results.push(...(await admin.resetOffsets(name, request)));
      const dryRun = requests[0]!.dryRun === true;
      if (s.json) return s.printJson({ group: name, dryRun, offsets: results });
      s.print(
        table(
          ['GROUP', 'TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'NEW-OFFSET'],
          results.map((r) => [name, r.topic, r.partition, r.before, r.after]),
          s.out.bold,
        ),
      );
      const target = describeTarget(requests[0]!.to);
      s.note(
        dryRun
          ? s.err.yellow(`dry run (to ${target}): nothing changed; add --execute to apply`)
          : s.err.green(`reset ${results.length} partition${results.length === 1 ? '' : 's'} of group ${name} to ${target}`),
      );
    });

  groups
    .command('delete')
    .alias('rm')
    .description('delete a group and its committed offsets (it must have no live members)')
    .argument('<group>')
    .addHelpText('after', examples('brook groups delete billing'))
    .action(async (name: string, _options: unknown, command: Command) => {
      const s = session(command);
      await s.brook.admin().deleteGroup(name);
      if (s.json) s.printJson({ deleted: name });
      else s.print(`Deleted group ${name}.`);
    });

  return groups;
}
