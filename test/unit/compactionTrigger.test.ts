import { describe, expect, it } from 'vitest';
import { changedPartitionKeys } from '../../functions/log/compactionTrigger.js';

const streamRecord = (pk: string, sk: string) => ({ eventName: 'MODIFY', dynamodb: { Keys: { pk: { S: pk }, sk: { N: sk } } } });

describe('changedPartitionKeys', () => {
  it('gives the partitions of changed HEAD items, each once, from a stream batch', () => {
    const event = { Records: [streamRecord('t1#0', '-1'), streamRecord('t1#0', '-1'), streamRecord('t2#3', '-1')] };
    expect(changedPartitionKeys(event)).toEqual(new Set(['t1#0', 't2#3']));
  });

  it('ignores records of batch items (the stream filter should have dropped them already)', () => {
    expect(changedPartitionKeys({ Records: [streamRecord('t1#0', '42'), { dynamodb: {} }, {}] })).toEqual(new Set());
  });

  it('is undefined for a scheduled event or none: that run is a sweep', () => {
    expect(changedPartitionKeys({ source: 'aws.events', 'detail-type': 'Scheduled Event' })).toBeUndefined();
    expect(changedPartitionKeys(undefined)).toBeUndefined();
  });
});
