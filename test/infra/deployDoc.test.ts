/**
 * docs/deploy.md against the app: every `npx cdk` command in its ```sh blocks
 * that can run offline runs here (no credentials, no network), and every
 * command that needs AWS is checked as far as it can be without it. `deploy`,
 * `diff` and `destroy` are run as `cdk ls` with the same arguments: with a
 * stack pattern, `ls` selects by the same rule they do; without one, `deploy`
 * and `destroy` take the app's top-level stack if it is the only one (the CLI
 * refuses otherwise, as it did when the stack sat in a CDK Stage), so the
 * assembly `ls` wrote must hold exactly one stack, at the top. The names the
 * `aws` commands use (stack, parameter, outputs) are checked against the
 * synthesized stacks.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../infra/paths.js';
import { STAGE_NAMES, synth, SYNTH_TIMEOUT_MS, type StageName } from './synth.js';

const run = promisify(execFile);
const DOC = readFileSync(join(PROJECT_ROOT, 'docs', 'deploy.md'), 'utf8');
const CLI_TIMEOUT_MS = 240_000;

const tempDirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'brook-deploy-doc-'));
  tempDirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

/** Splits a shell line into words: plain words and quoted strings, no expansion; a word starting with `#` ends the line. */
function shellWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: string | undefined;
  for (const char of line) {
    if (quote) {
      if (char === quote) quote = undefined;
      else word += char;
    } else if (char === "'" || char === '"') {
      quote = char;
      inWord = true;
    } else if (/\s/.test(char)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else if (char === '#' && !inWord) {
      break;
    } else {
      word += char;
      inWord = true;
    }
  }
  if (quote) throw new Error(`unbalanced quote in: ${line}`);
  if (inWord) words.push(word);
  return words;
}

interface ShellLine {
  /** The line as written (continuations joined), comment included. */
  readonly text: string;
  readonly words: string[];
}

/** Every command line of every ```sh block of a Markdown text, continuation lines joined. */
function shellLines(markdown: string): ShellLine[] {
  const lines: ShellLine[] = [];
  for (const block of markdown.matchAll(/^```sh[^\n]*\n([\s\S]*?)^```/gm)) {
    for (const text of block[1]!.replace(/\\\n\s*/g, ' ').split('\n')) {
      const words = shellWords(text);
      if (words.length > 0) lines.push({ text, words });
    }
  }
  return lines;
}

/** Options of the CDK CLI that take a value (the next word, unless written `--option=value`). */
const OPTIONS_WITH_VALUE = new Set(['-c', '--context', '--profile', '--output', '-o', '--app', '-a', '--require-approval', '--region']);

interface CdkCommand {
  readonly text: string;
  /** The command without its comment, as test names show it. */
  readonly shown: string;
  readonly verb: string;
  /** Everything after the verb. */
  readonly args: string[];
  /** The `stage` context value, if the command gives one. */
  readonly stage: string | undefined;
  /** Stack patterns (positional arguments). */
  readonly patterns: string[];
}

function cdkCommand(line: ShellLine): CdkCommand {
  const [verb = '', ...args] = line.words.slice(2);
  let stage: string | undefined;
  const patterns: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg.startsWith('-')) {
      const [option, inline] = arg.split(/=(.*)/s, 2) as [string, string | undefined];
      const value = inline ?? (OPTIONS_WITH_VALUE.has(option) ? args[++i] : undefined);
      if ((option === '-c' || option === '--context') && value?.startsWith('stage=')) stage = value.slice('stage='.length);
    } else {
      patterns.push(arg);
    }
  }
  return { text: line.text, shown: ['npx cdk', verb, ...args].join(' '), verb, args, stage, patterns };
}

const LINES = shellLines(DOC);
const CDK = LINES.filter((line) => line.words[0] === 'npx' && line.words[1] === 'cdk').map(cdkCommand);
/** Commands that run offline, and are run as written. */
const OFFLINE_VERBS = new Set(['ls', 'list', 'synth']);
/** Commands that need AWS and pick stacks of the app: checked through `cdk ls` with their arguments. */
const SELECTING_VERBS = new Set(['deploy', 'diff', 'destroy']);
/** Commands that need AWS and do not pick stacks of the app. */
const AWS_ONLY_VERBS = new Set(['bootstrap']);

/** The variables the page exports with plain values (`export AWS_PROFILE=...`): the commands run as a reader's would. */
const DOC_EXPORTS = Object.fromEntries(
  LINES.filter((line) => line.words[0] === 'export')
    .flatMap((line) => line.words.slice(1))
    .filter((word) => /^[A-Z_]+=[^$]*$/.test(word))
    .map((word) => word.split(/=(.*)/s, 2) as [string, string]),
);

/** Nothing that could reach AWS: no credentials, no config files, no instance metadata. */
const offlineEnv = (): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH ?? '',
  HOME: tempDir(),
  ...DOC_EXPORTS,
  CDK_DISABLE_CLI_TELEMETRY: 'true',
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  BROOK_SKIP_BUNDLING: '1',
  // The template rule check runs in cdkSynth.test.ts; here it would only cost each command 3-4 s.
  CDK_VALIDATION: 'false',
});

interface Listed {
  /** The lines `cdk ls` printed. */
  readonly stacks: string[];
  /** The stacks at the top of the cloud assembly it wrote (what `deploy` and `destroy` take without a pattern). */
  readonly topLevelStackNames: string[];
  readonly nestedAssemblies: number;
}

interface Manifest {
  artifacts: Record<string, { type: string; properties?: { stackName?: string } }>;
}

function readAssembly(outdir: string): Pick<Listed, 'topLevelStackNames' | 'nestedAssemblies'> {
  const manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8')) as Manifest;
  const artifacts = Object.values(manifest.artifacts);
  return {
    topLevelStackNames: artifacts.filter((a) => a.type === 'aws:cloudformation:stack').map((a) => a.properties?.stackName ?? ''),
    nestedAssemblies: artifacts.filter((a) => a.type === 'cdk:cloud-assembly').length,
  };
}

/** `npx cdk ls <args>`, once per distinct argument list. */
const listings = new Map<string, Promise<Listed>>();
function cdkList(args: string[]): Promise<Listed> {
  const key = JSON.stringify(args);
  let listing = listings.get(key);
  if (!listing) {
    const outdir = tempDir();
    listing = run('npx', ['cdk', 'ls', ...args, '--output', outdir], { cwd: PROJECT_ROOT, env: offlineEnv(), timeout: CLI_TIMEOUT_MS }).then(
      ({ stdout }) => ({ stacks: stdout.split('\n').filter((line) => line.trim() !== ''), ...readAssembly(outdir) }),
    );
    listings.set(key, listing);
  }
  return listing;
}

function stageOf(command: CdkCommand): StageName {
  expect(STAGE_NAMES, `${command.text}: -c stage=<one of ${STAGE_NAMES.join(', ')}>`).toContain(command.stage);
  return command.stage as StageName;
}

// Concurrent: each command is a CLI process of its own (about 12 s of synth), so they run side by side.
describe.concurrent('docs/deploy.md: the cdk commands', () => {
  it('has the commands of a first deploy and a tear-down, each of a kind this test checks', () => {
    // Act
    const verbs = CDK.map((command) => command.verb);

    // Assess
    expect(verbs).toEqual(expect.arrayContaining(['ls', 'synth', 'bootstrap', 'deploy', 'diff', 'destroy']));
    for (const command of CDK) {
      const known = OFFLINE_VERBS.has(command.verb) || SELECTING_VERBS.has(command.verb) || AWS_ONLY_VERBS.has(command.verb);
      expect(known, `${command.text}: a cdk command this test does not check yet`).toBe(true);
      if (!AWS_ONLY_VERBS.has(command.verb)) stageOf(command); // every command that builds the app says which stage
    }
  });

  it('bootstraps an explicit account and region, so the bootstrap does not depend on the app', () => {
    for (const command of CDK.filter((c) => c.verb === 'bootstrap')) {
      expect(command.patterns, command.text).toEqual([expect.stringMatching(/^aws:\/\/\S+\/\S+$/)]);
    }
  });

  it.each(CDK.filter((command) => command.verb === 'ls' || command.verb === 'list').map((c) => [c.shown, c] as const))(
    'runs `%s` offline: it lists the stage\'s one stack, as the page says',
    async (_text, command) => {
      // Act
      const listed = await cdkList(command.args);

      // Assess
      const stage = stageOf(command);
      expect(listed.stacks).toEqual([`${stage}/Brook (brook-${stage})`]);
      if (command.text.includes('#')) expect(command.text).toContain(listed.stacks[0]);
    },
    CLI_TIMEOUT_MS,
  );

  it.each(CDK.filter((command) => command.verb === 'synth').map((c) => [c.shown, c] as const))(
    'runs `%s` offline: it writes the template of brook-<stage>',
    async (_text, command) => {
      // Prepare
      const outdir = tempDir();

      // Act
      const { stdout } = await run('npx', ['cdk', command.verb, ...command.args, '--output', outdir], {
        cwd: PROJECT_ROOT,
        env: offlineEnv(),
        timeout: CLI_TIMEOUT_MS,
        maxBuffer: 64 * 1024 * 1024,
      });

      // Assess
      const stage = stageOf(command);
      expect(readAssembly(outdir).topLevelStackNames).toEqual([`brook-${stage}`]);
      expect(stdout).toContain('AWS::DynamoDB::Table');
    },
    CLI_TIMEOUT_MS,
  );

  it.each(CDK.filter((command) => SELECTING_VERBS.has(command.verb)).map((c) => [c.shown, c] as const))(
    '`%s` selects exactly the stage\'s stack (checked offline with `cdk ls` and the same arguments)',
    async (_text, command) => {
      // Act
      const listed = await cdkList(command.args);

      // Assess
      const stage = stageOf(command);
      expect(listed.stacks).toEqual([`${stage}/Brook (brook-${stage})`]);
      if (command.patterns.length === 0) {
        // No pattern: deploy and destroy take the only top-level stack, and refuse when there is none or several.
        expect(listed.topLevelStackNames).toEqual([`brook-${stage}`]);
        expect(listed.nestedAssemblies).toBe(0);
      }
    },
    CLI_TIMEOUT_MS,
  );

  it(
    'runs the documented `cdk destroy` up to its confirmation, offline: the CLI picks the stack without a pattern',
    async () => {
      // Prepare: the first destroy of the page. Nothing can be deleted: there are no credentials, and
      // without a terminal the CLI cannot get the confirmation it asks for, so it stops there.
      const destroy = CDK.find((command) => command.verb === 'destroy')!;

      // Act
      const failure = await run('npx', ['cdk', destroy.verb, ...destroy.args, '--output', tempDir()], {
        cwd: PROJECT_ROOT,
        env: offlineEnv(),
        timeout: CLI_TIMEOUT_MS,
      }).then(
        () => undefined,
        (error: { stderr?: string }) => error.stderr ?? '',
      );

      // Assess
      expect(failure).toBeDefined();
      expect(failure).not.toMatch(/specify which stacks|No stacks match/);
      expect(failure).toMatch(/terminal \(TTY\) is not attached/);
    },
    CLI_TIMEOUT_MS,
  );
});

describe('docs/deploy.md: the names the aws commands use', () => {
  const words = LINES.flatMap((line) => line.words);

  it('reads the admin key from the parameter the stack makes', () => {
    // Act
    const parameters = words.filter((word) => /^\/brook-[a-z]+\/admin-key$/.test(word));

    // Assess
    expect(parameters.length).toBeGreaterThan(0);
    for (const parameter of parameters) {
      const stage = parameter.split('/')[1]!.slice('brook-'.length) as StageName;
      expect(STAGE_NAMES).toContain(stage);
      expect(parameter).toBe(synth(stage).stack.adminKey.parameterName);
    }
  }, SYNTH_TIMEOUT_MS);

  it('names stacks the app makes, and outputs they have', () => {
    // Prepare
    const stackNames = LINES.flatMap((line) => line.words.flatMap((word, i) => (word === '--stack-name' ? [line.words[i + 1]!] : [])));
    const outputKeys = [...DOC.matchAll(/OutputKey=='(\w+)'/g)].map((match) => match[1]!);

    // Assess
    expect(stackNames.length).toBeGreaterThan(0);
    for (const name of stackNames) {
      const stage = name.slice('brook-'.length) as StageName;
      expect(STAGE_NAMES, name).toContain(stage);
      const outputs = synth(stage).template.toJSON().Outputs as Record<string, unknown>;
      for (const key of outputKeys) expect(outputs, `${name} output ${key}`).toHaveProperty(key);
    }
  }, SYNTH_TIMEOUT_MS);

  it('explains every output of every stage, and no other', () => {
    // Prepare: the first column of the table whose header is "| output | meaning |"
    const table = DOC.slice(DOC.indexOf('| output | meaning |')).split('\n\n')[0]!;
    const documented = table
      .split('\n')
      .slice(2)
      .flatMap((row) => [...(row.split('|')[1] ?? '').matchAll(/`(\w+)`/g)].map((match) => match[1]!));

    // Act
    const outputs = new Set(STAGE_NAMES.flatMap((stage) => Object.keys(synth(stage).template.toJSON().Outputs as object)));

    // Assess
    expect(documented.sort()).toEqual([...outputs].sort());
  }, SYNTH_TIMEOUT_MS);

  it('makes $API the base URL plus "v1", as in the README: ApiUrl ends with a slash', () => {
    // Act
    const apiUrl = (synth('dev').template.toJSON().Outputs as Record<string, { Value: { 'Fn::Join': [string, unknown[]] } }>).ApiUrl!;
    const parts = apiUrl.Value['Fn::Join'][1];
    const definitions = LINES.filter((line) => line.words[0]?.startsWith('API=$('));

    // Assess
    expect(parts.at(-1)).toMatch(/\/$/);
    expect(definitions.length).toBeGreaterThan(0);
    for (const line of definitions) expect(line.words.at(-1), line.text).toMatch(/\)v1$/);
    expect(DOC).toContain('curl -s $API/health');
  }, SYNTH_TIMEOUT_MS);
});
