import { RemovalPolicy, Stage } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/app.js';
import { DEFAULT_STAGE, getStageConfig, STAGES, UnknownStageError } from '../../infra/config.js';
import { NO_BUNDLING } from './synth.js';

describe('Stage config', () => {
  it('keeps prod data when the stack goes and lets dev data go with it', () => {
    // Act
    const prod = getStageConfig('prod');
    const dev = getStageConfig('dev');

    // Assess
    expect(prod.removalPolicy).toBe(RemovalPolicy.RETAIN);
    expect(prod.pointInTimeRecovery).toBe(true);
    expect(prod.autoDeleteObjects).toBe(false);
    expect(dev.removalPolicy).toBe(RemovalPolicy.DESTROY);
    expect(dev.pointInTimeRecovery).toBe(false);
    expect(dev.autoDeleteObjects).toBe(true);
  });

  it('keeps staging data too, recoverable, but without deletion protection or versions', () => {
    // Act
    const staging = getStageConfig('staging');

    // Assess
    expect(staging).toMatchObject({
      removalPolicy: RemovalPolicy.RETAIN,
      autoDeleteObjects: false,
      pointInTimeRecovery: true,
      deletionProtection: false,
      bucketVersioning: false,
    });
  });

  it('has dev, staging and prod, with API-key auth by default', () => {
    expect(Object.keys(STAGES)).toEqual(['dev', 'staging', 'prod']);
    for (const config of Object.values(STAGES)) expect(config.auth).toBe('apiKey');
  });

  it('names each stage after its key', () => {
    for (const [key, config] of Object.entries(STAGES)) expect(config.name).toBe(key);
  });

  it('throws a clear error on an unknown stage', () => {
    expect(() => getStageConfig('qa')).toThrow(UnknownStageError);
    expect(() => getStageConfig('qa')).toThrow(/unknown stage "qa": choose one of dev, staging, prod/);
    expect(() => getStageConfig('toString')).toThrow(UnknownStageError);
  });
});

describe('Function: buildApp', () => {
  it('builds one stack, brook-<stage>, at the path <stage>/Brook and at the top level of the assembly', () => {
    // Act
    const { app, stack } = buildApp('prod', NO_BUNDLING);
    const assembly = app.synth();

    // Assess
    expect(stack.stackName).toBe('brook-prod');
    expect(stack.node.path).toBe('prod/Brook');
    expect(Stage.of(stack)).toBe(app); // no Stage in between: the CLI would not deploy it without a selector
    expect(assembly.stacks.map((artifact) => artifact.stackName)).toEqual(['brook-prod']);
    expect(assembly.nestedAssemblies).toEqual([]);
  }, 120_000);

  it('takes the stage from the "stage" context value, and dev by default', () => {
    expect(buildApp(undefined, { ...NO_BUNDLING, stage: 'prod' }).stack.stackName).toBe('brook-prod');
    expect(buildApp(undefined, NO_BUNDLING).stack.stackName).toBe(`brook-${DEFAULT_STAGE}`);
  });

  it('throws on an unknown stage before building anything', () => {
    expect(() => buildApp('qa', NO_BUNDLING)).toThrow(UnknownStageError);
    expect(() => buildApp(undefined, { ...NO_BUNDLING, stage: 'qa' })).toThrow(/unknown stage "qa"/);
  });
});
