/**
 * `brook keys create|list|revoke`: API keys and their permissions (admin only).
 * Calls the SDK's `Admin.createKey`, `listKeys` and `revokeKey`.
 */
import { Command } from 'commander';
import { formatTime, table } from '../format.js';
import { formatPermissions, parseAllow, parseDateTime } from '../parse.js';
import { collect, examples, session } from '../session.js';

export function keysCommand(): Command {
  const keys = new Command('keys').description('create, list and revoke API keys (needs an admin key)');

  keys
    .command('create')
    .description('create an API key; its secret is printed once')
    .requiredOption('--principal <name>', 'who the key is for (shown in lists and logs)')
    .option('-a, --allow <resource=operations>', 'a permission, repeatable: resource topic:<name>, topic:<prefix>*, group:<name>, group:<prefix>* or cluster; operations read, write, describe, admin', collect)
    .option('--expires <time>', 'when the key stops working (ISO 8601 or epoch ms)')
    .addHelpText(
      'after',
      examples(
        'brook keys create --principal billing-app --allow topic:orders=read,describe --allow group:billing-*=read',
        'brook keys create --principal ingest --allow topic:events.*=write --expires 2027-01-01T00:00:00Z',
        'brook keys create --principal ops --allow cluster=admin',
      ),
    )
    .action(async (options: { principal: string; allow?: string[]; expires?: string }, command: Command) => {
      const s = session(command);
      const permissions = parseAllow(options.allow ?? []);
      const expiresAt = options.expires === undefined ? undefined : parseDateTime(options.expires, '--expires');
      const created = await s.brook.admin().createKey({
        principal: options.principal,
        permissions,
        ...(expiresAt !== undefined ? { expiresAt } : {}),
      });
      if (s.json) s.printJson(created);
      else {
        s.print(`key id:      ${created.keyId}`);
        s.print(`principal:   ${created.principal}`);
        s.print(`permissions: ${formatPermissions(created.permissions) || '(none)'}`);
        s.print(`expires:     ${created.expiresAt == null ? 'never' : formatTime(created.expiresAt)}`);
        s.print(`secret:      ${created.secret}`);
      }
      s.note(s.err.yellow('Save the secret now: it will not be shown again.'));
    });

  keys
    .command('list')
    .alias('ls')
    .description('list API keys (never their secrets)')
    .addHelpText('after', examples('brook keys list', 'brook keys list --json'))
    .action(async (_options: unknown, command: Command) => {
      const s = session(command);
      const list = (await s.brook.admin().listKeys()).sort((a, b) => a.createdAt - b.createdAt);
      if (s.json) return s.printJson(list);
      if (list.length === 0) return s.note('no keys');
      s.print(
        table(
          ['KEY-ID', 'PRINCIPAL', 'PERMISSIONS', 'EXPIRES', 'CREATED'],
          list.map((k) => [k.keyId, k.principal, formatPermissions(k.permissions) || '-', k.expiresAt == null ? 'never' : formatTime(k.expiresAt), formatTime(k.createdAt)]),
          s.out.bold,
        ),
      );
    });

  keys
    .command('revoke')
    .description('revoke an API key: it stops working at once')
    .argument('<keyId>')
    .addHelpText('after', examples('brook keys revoke 3f9c2a7e'))
    .action(async (keyId: string, _options: unknown, command: Command) => {
      const s = session(command);
      await s.brook.admin().revokeKey(keyId);
      if (s.json) s.printJson({ revoked: keyId });
      else s.print(`Revoked key ${keyId}.`);
    });

  return keys;
}
