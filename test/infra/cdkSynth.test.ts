import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { buildApp } from '../../infra/app.js';
import { PROJECT_ROOT } from '../../infra/paths.js';
import { NO_BUNDLING, STAGE_NAMES, SYNTH_TIMEOUT_MS } from './synth.js';

// Tests here synthesize stacks not cached yet (other stages, changed settings): see SYNTH_TIMEOUT_MS.
vi.setConfig({ testTimeout: SYNTH_TIMEOUT_MS });

const run = promisify(execFile);
const outDirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'brook-synth-'));
  outDirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of outDirs) rmSync(dir, { recursive: true, force: true });
});

/**
 * Nothing that could reach AWS: no credentials, no profile, no instance metadata.
 * No CDK_VALIDATION either: this synth runs CloudFormation's template rules, as a deploy's does.
 */
const OFFLINE_ENV = {
  PATH: process.env.PATH ?? '',
  HOME: tempDir(),
  CDK_DISABLE_CLI_TELEMETRY: 'true',
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  BROOK_SKIP_BUNDLING: '1',
};

describe('cdk synth, offline', () => {
  it.each(STAGE_NAMES)('writes a cloud assembly for %s with the stack brook-<stage>', (stageName) => {
    // Act
    const assembly = buildApp(stageName, NO_BUNDLING).app.synth();

    // Assess
    const stack = assembly.getStackByName(`brook-${stageName}`);
    expect(Object.keys(stack.template.Resources as object).length).toBeGreaterThan(50);
    expect(stack.template.Outputs).toHaveProperty('ApiUrl');
  });

  it(
    'runs `cdk synth -c stage=staging` through the CLI with no credentials, and CloudFormation\'s template rules find nothing',
    async () => {
      // Prepare
      const outdir = tempDir();

      // Act
      const { stdout, stderr } = await run(
        'npx',
        ['cdk', 'synth', '-c', 'stage=staging', '--quiet', '--output', outdir],
        { cwd: PROJECT_ROOT, env: OFFLINE_ENV, timeout: 90_000 },
      );

      // Assess
      expect(stdout).not.toMatch(/error/i);
      expect(stderr).not.toMatch(/Template validation found issues/);
      const manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8')) as {
        artifacts: Record<string, { type: string; properties?: { stackName?: string; templateFile?: string } }>;
      };
      const stacks = Object.values(manifest.artifacts).filter((artifact) => artifact.type === 'aws:cloudformation:stack');
      expect(stacks.map((artifact) => artifact.properties?.stackName)).toEqual(['brook-staging']);
      const template = JSON.parse(readFileSync(join(outdir, stacks[0]!.properties!.templateFile!), 'utf8')) as { Outputs: object };
      expect(template.Outputs).toHaveProperty('ApiUrl');
    },
    120_000,
  );
});
