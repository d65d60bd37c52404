/**
 * The pure pieces of `brook subscriptions`: its options into the contract's
 * requests, and the text of targets, settings and errors. No network
 * (test/integration/sdk.subscriptions.test.ts runs the command).
 */
import { describe, expect, it } from 'vitest';
import { errorCell, formatSettings, formatTarget } from '../../cli/commands/subscriptions.js';
import { UsageError } from '../../cli/errors.js';
import {
  alterSubscriptionRequest,
  createSubscriptionRequest,
  parsePartitionList,
  parseStartAt,
  resetSubscriptionRequest,
  subscriptionSettings,
} from '../../cli/parse.js';
import { buildProgram } from '../../cli/program.js';

describe('cli: subscriptions create', () => {
  it('builds a webhook request with every option', () => {
    // Act
    const request = createSubscriptionRequest('orders-hook', {
      topic: 'orders',
      webhookUrl: 'https://example.com/hook',
      startAt: 'earliest',
      batchSize: '500',
      batchingWindowMs: '1000',
      maxRetries: '-1',
      maxRecordAgeMs: '3600000',
      onFailure: 'orders.parked',
      encoding: 'base64',
    });

    // Assess
    expect(request).toEqual({
      name: 'orders-hook',
      topic: 'orders',
      target: { type: 'http', url: 'https://example.com/hook' },
      startAt: 'earliest',
      encoding: 'base64',
      batchSize: 500,
      maxBatchingWindowMs: 1000,
      maxRetries: -1,
      maxRecordAgeMs: 3_600_000,
      onFailure: { topic: 'orders.parked' },
    });
  });

  it('builds a Lambda request with only what is given, and a start time', () => {
    const arn = 'arn:aws:lambda:eu-west-1:123456789012:function:on-order';
    expect(createSubscriptionRequest('fn', { topic: 'orders', functionArn: arn })).toEqual({
      name: 'fn',
      topic: 'orders',
      target: { type: 'lambda', functionArn: arn },
    });
    expect(createSubscriptionRequest('fn', { topic: 'orders', functionArn: arn, startAt: '2026-01-31T12:00:00Z' }).startAt).toEqual({
      timestamp: Date.UTC(2026, 0, 31, 12),
    });
  });

  it('wants exactly one target, a known encoding, and settings within their lower bounds', () => {
    expect(() => createSubscriptionRequest('x', { topic: 't' })).toThrow(/exactly one target.*\(got none\)/);
    expect(() => createSubscriptionRequest('x', { topic: 't', webhookUrl: 'https://a', functionArn: 'arn' })).toThrow(/got both/);
    expect(() => createSubscriptionRequest('x', { topic: 't', webhookUrl: 'https://a', encoding: 'hex' })).toThrow('--encoding must be utf8 or base64, got "hex"');
    expect(() => createSubscriptionRequest('x', { topic: 't', webhookUrl: 'https://a', batchSize: '0' })).toThrow(/--batch-size must be an integer >= 1/);
    expect(() => createSubscriptionRequest('x', { topic: 't', webhookUrl: 'https://a', maxRetries: '-2' })).toThrow(/--max-retries must be an integer >= -1/);
    expect(() => createSubscriptionRequest('x', { topic: 't', webhookUrl: 'https://a', startAt: 'tomorrow' })).toThrow(UsageError);
  });

  it('reads --start-at as earliest, latest or a time', () => {
    expect(parseStartAt('latest')).toBe('latest');
    expect(parseStartAt('1700000000000')).toEqual({ timestamp: 1_700_000_000_000 });
    expect(() => parseStartAt('soon')).toThrow('--start-at must be earliest, latest, or a time (ISO 8601 or epoch ms), got "soon"');
  });

  it('parses the command line: --webhook-url, settings, and a global --json after the command', () => {
    // Prepare
    const program = buildProgram();
    const create = program.commands.find((c) => c.name() === 'subscriptions')!.commands.find((c) => c.name() === 'create')!;
    create.action(() => undefined); // parse only

    // Act
    program.parse(
      ['subscriptions', 'create', 'hook', '--topic', 'orders', '--webhook-url', 'http://127.0.0.1:9/x', '--max-retries', '-1', '--on-failure', 'parked', '--json'],
      { from: 'user' },
    );

    // Assess
    expect(create.opts()).toEqual({ topic: 'orders', webhookUrl: 'http://127.0.0.1:9/x', maxRetries: '-1', onFailure: 'parked' });
    expect(program.opts().json).toBe(true);
    expect(program.opts().url).toBeUndefined();
  });
});

describe('cli: subscriptions alter', () => {
  it('sends only the settings given, --no-on-failure as null', () => {
    expect(alterSubscriptionRequest({ batchSize: '10', onFailure: false })).toEqual({ batchSize: 10, onFailure: null });
    expect(alterSubscriptionRequest({ onFailure: 'parked' })).toEqual({ onFailure: { topic: 'parked' } });
    expect(subscriptionSettings({ maxRecordAgeMs: '-1' })).toEqual({ maxRecordAgeMs: -1 });
  });

  it('refuses an empty change', () => {
    expect(() => alterSubscriptionRequest({})).toThrow(/nothing to change/);
  });

  it('parses --no-on-failure from the command line', () => {
    const program = buildProgram();
    const alter = program.commands.find((c) => c.name() === 'subscriptions')!.commands.find((c) => c.name() === 'alter')!;
    alter.action(() => undefined);

    program.parse(['subscriptions', 'alter', 'hook', '--no-on-failure', '--batching-window-ms', '250'], { from: 'user' });

    expect(alterSubscriptionRequest(alter.opts())).toEqual({ onFailure: null, maxBatchingWindowMs: 250 });
  });
});

describe('cli: subscriptions reset', () => {
  it('takes --to earliest|latest|<offset> or --to-timestamp, and some partitions', () => {
    expect(resetSubscriptionRequest({ to: 'earliest' })).toEqual({ to: 'earliest' });
    expect(resetSubscriptionRequest({ to: 'latest', partitions: '2,0,2' })).toEqual({ to: 'latest', partitions: [0, 2] });
    expect(resetSubscriptionRequest({ to: '42' })).toEqual({ to: { offset: 42 } });
    expect(resetSubscriptionRequest({ toTimestamp: '1700000000000' })).toEqual({ to: { timestamp: 1_700_000_000_000 } });
    expect(resetSubscriptionRequest({ toTimestamp: '2026-01-31T12:00:00Z' })).toEqual({ to: { timestamp: Date.UTC(2026, 0, 31, 12) } });
  });

  it('wants exactly one target and valid numbers', () => {
    expect(() => resetSubscriptionRequest({})).toThrow(/exactly one of --to .* \(got none\)/);
    expect(() => resetSubscriptionRequest({ to: 'earliest', toTimestamp: '1' })).toThrow(/got both/);
    expect(() => resetSubscriptionRequest({ to: 'yesterday' })).toThrow(/--to must be earliest, latest or an offset/);
    expect(() => resetSubscriptionRequest({ to: '-1' })).toThrow(/--to must be an integer >= 0/);
    expect(() => parsePartitionList('0,x')).toThrow(UsageError);
  });
});

describe('cli: subscriptions output', () => {
  it('writes targets, settings and long errors on one line', () => {
    expect(formatTarget({ type: 'http', url: 'https://example.com/h' })).toBe('webhook https://example.com/h');
    expect(formatTarget({ type: 'lambda', functionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:f' })).toBe(
      'lambda arn:aws:lambda:eu-west-1:123456789012:function:f',
    );
    expect(
      formatSettings({
        name: 's',
        topic: 't',
        target: { type: 'http', url: 'https://a' },
        state: 'active',
        batchSize: 100,
        maxBatchingWindowMs: 0,
        maxRetries: 10,
        maxRecordAgeMs: -1,
        onFailure: null,
        encoding: 'utf8',
        createdAt: 0,
      }),
    ).toBe('batchSize=100 maxBatchingWindowMs=0 maxRetries=10 maxRecordAgeMs=-1 onFailure=- encoding=utf8');
    expect(errorCell('HTTP 500:\n  boom')).toBe('HTTP 500: boom');
    expect(errorCell('x'.repeat(100), 10)).toBe('xxxxxxx...');
    expect(errorCell(undefined)).toBeUndefined();
  });
});
