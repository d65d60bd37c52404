/**
 * The request meter's count of a transaction's write units (what AWS bills:
 * two per started KB of each item written), used against DynamoDB Local,
 * which does not report them as AWS bills them.
 */
import { describe, expect, it } from 'vitest';
import { transactionWriteUnits } from '../../functions/storage/requestMeter.js';

describe('transactionWriteUnits', () => {
  it('bills two units per started KB of each item a transaction writes', () => {
    const batch = new Uint8Array(10 * 1024 - 100);
    const units = transactionWriteUnits({
      TransactItems: [
        { Put: { Item: { pk: 'topic#0', sk: 42, b: batch } } },
        { Update: { Key: { pk: 'topic#0', sk: -1 }, ExpressionAttributeValues: { ':next': 43, ':m': 1_700_000_000_000, ':pr': {} } } },
      ],
    });
    expect(units).toBe(2 * 10 + 2 * 1);
  });

  it('counts binary by its bytes, not as a JSON object, and a tiny item as one KB', () => {
    expect(transactionWriteUnits({ TransactItems: [{ Put: { Item: { pk: 'a', b: new Uint8Array(1_500) } } }] })).toBe(4);
    expect(transactionWriteUnits({ TransactItems: [{ Put: { Item: { pk: 'a' } } }, { ConditionCheck: {} }] })).toBe(2);
  });
});
