/**
 * README.md as executable documentation: its quickstart blocks (curl), its
 * SDK snippet and its command-line block run as written, in that order,
 * against a fresh local stack, from a folder holding the stack's `.brook`
 * (where the README says to run them). The one change made to the text is
 * the port: the stack listens on a free one instead of 8080.
 *
 * The shell runs with `set -euo pipefail`, and `curl` fails on any answer
 * that is not 2xx, so an error answer or an unset variable turns this red.
 */
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localStackForTests, type LocalStackForTests } from '../helpers/localStack.js';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The fenced blocks of one language in the README's section `## <heading>`. */
export function blocksOf(markdown: string, heading: string, language: string): string[] {
  const start = markdown.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`README.md has no section "## ${heading}"`);
  const end = markdown.indexOf('\n## ', start + 1);
  const section = markdown.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(new RegExp(`\`\`\`${language}\\n([\\s\\S]*?)\`\`\``, 'g'))].map((match) => match[1]!);
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

let stack: LocalStackForTests;
let workDir: string;
let readme: string;
let env: NodeJS.ProcessEnv;

/** The README's text for this run: the stack's port instead of 8080. */
const onThisStack = (text: string) => text.replaceAll('127.0.0.1:8080', new URL(stack.url).host);

function run(command: string, args: string[], input = ''): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: workDir, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

/** Runs README shell blocks in one bash, failing on any error (curl included). */
function runShell(blocks: string[]): Promise<Run> {
  const script = [
    'set -euo pipefail',
    // An error answer fails the script; each answer ends its line.
    'curl() { command curl --fail-with-body --show-error "$@"; echo; }',
    ...blocks.map(onThisStack),
  ].join('\n');
  return run('bash', ['-c', script]);
}

beforeAll(async () => {
  readme = await readFile(join(REPO_ROOT, 'README.md'), 'utf8');
  // Inside the repository, so that `npx brook` and `brook/sdk` resolve as they do for a user of this checkout.
  // No key given: the stack generates one and saves it to <workDir>/.brook/admin-key, where the README reads it.
  stack = await localStackForTests({ prefix: '.readme-', parentDir: REPO_ROOT, dataDirName: '.brook' });
  workDir = stack.dir;
  env = { ...process.env, BROOK_PORT: String(new URL(stack.url).port), NO_COLOR: '1' };
  for (const name of ['BROOK_URL', 'BROOK_API_KEY', 'BROOK_DATA_DIR']) delete env[name];
}, 60_000);

afterAll(() => stack?.stop());

describe('README.md, run as written', () => {
  it('the quickstart with curl, the rest of the API and consumer groups: every answer 2xx, every variable set', async () => {
    const blocks = blocksOf(readme, 'Quickstart with curl', 'sh');
    expect(blocks.length).toBeGreaterThanOrEqual(3);

    const result = await runShell(blocks);

    expect(result.code, `${result.stderr}\n${result.stdout}`).toBe(0);
    const answers = result.stdout.split('\n');
    expect(answers).toContain('{"status":"ok"}');
    // The fetch of partition 0 finds the record produced there.
    expect(answers.some((line) => line.includes('"value":"no key"'))).toBe(true);
    // The idempotent retry answered the same offset as the first send.
    const once = answers.filter((line) => line.startsWith('{"results":[{"partition":1,'));
    expect(once.length).toBeGreaterThanOrEqual(3);
    expect(once[1]).toBe(once[0]);
    // The group's commit shows up with its lag before the member leaves.
    expect(answers.some((line) => line.includes('"group":"billing"') && line.includes('"offset":1'))).toBe(true);
  }, 60_000);

  it('the TypeScript SDK snippet: consumes, and stops on Ctrl-C after leaving the group', async () => {
    const [snippet] = blocksOf(readme, 'TypeScript SDK', 'ts');
    expect(snippet).toBeDefined();
    await writeFile(join(workDir, 'snippet.ts'), onThisStack(snippet!));
    const child = spawn(process.execPath, ['--import', 'tsx', 'snippet.ts'], { cwd: workDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      const deadline = Date.now() + 30_000;
      while (!stdout.includes('{"total":42}')) {
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the snippet printed no message:\n${stdout}\n${stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }

      child.kill('SIGINT');
      const code = await Promise.race([exited, new Promise((resolve) => setTimeout(() => resolve('still running'), 10_000))]);

      expect(code, stderr).toBe(0);
      expect(stderr).toBe('');
      const group = (await (await fetch(`${stack.url}/v1/groups/billing`, { headers: { authorization: `Bearer ${stack.adminKey}` } })).json()) as {
        members: unknown[];
      };
      expect(group.members).toEqual([]); // left at once: no dead member holds partitions for a session timeout
    } finally {
      child.kill('SIGKILL');
    }
  }, 60_000);

  it('the command-line block: every command succeeds', async () => {
    const blocks = blocksOf(readme, 'Command line', 'sh');
    expect(blocks).toHaveLength(1);

    const result = await runShell(blocks);

    expect(result.code, `${result.stderr}\n${result.stdout}`).toBe(0);
    expect(result.stdout).toContain('Group: billing  State: Empty');
    expect(result.stdout).toMatch(/principal: +app/);
  }, 120_000);
});
