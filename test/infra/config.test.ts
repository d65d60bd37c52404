import { RemovalPolicy } from 'aws-cdk-lib';
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
  it('builds the stack brook-<stage> inside a Stage of that name', () => {
    // Act
    const { app, stage } = buildApp('prod', NO_BUNDLING);

    // Assess
    expect(stage.stageName).toBe('prod');
    expect(stage.stack.stackName).toBe('brook-prod');
    expect(app.node.children).toEqual([stage]);
  });

  it('takes the stage from the "stage" context value, and dev by default', () => {
    expect(buildApp(undefined, { ...NO_BUNDLING, stage: 'prod' }).stage.stack.stackName).toBe('brook-prod');
    expect(buildApp(undefined, NO_BUNDLING).stage.stageName).toBe(DEFAULT_STAGE);
  });

  it('throws on an unknown stage before building anything', () => {
    expect(() => buildApp('qa', NO_BUNDLING)).toThrow(UnknownStageError);
    expect(() => buildApp(undefined, { ...NO_BUNDLING, stage: 'qa' })).toThrow(/unknown stage "qa"/);
  });
});
