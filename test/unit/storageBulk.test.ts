/**
 * The unprocessed-items rule of functions/storage/bulk.ts, with a fake
 * document client: sent again with backoff, and a loud THROTTLED when the
 * service keeps handing them back.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { batchGetAll, batchWriteAll, MAX_UNPROCESSED_ROUNDS } from '../../functions/storage/bulk.js';

/** A client whose answers come from `answer(input, call)`, recording each input. */
function fakeClient(answer: (input: { RequestItems: Record<string, unknown> }, call: number) => unknown) {
  const inputs: { RequestItems: Record<string, unknown> }[] = [];
  const client = {
    send: async (command: { input: { RequestItems: Record<string, unknown> } }) => {
      inputs.push(command.input);
      return answer(command.input, inputs.length);
    },
  } as unknown as DynamoDBDocumentClient;
  return { client, inputs };
}

describe('Function: batchWriteAll', () => {
  it('sends what comes back unprocessed again until all is written, in requests of at most 25', async () => {
    // Prepare: the first answer hands back two requests
    const requests = Array.from({ length: 30 }, (_, sk) => ({ PutRequest: { Item: { pk: 'p', sk } } }));
    const { client, inputs } = fakeClient((input, call) => ({
      UnprocessedItems: call === 1 ? { t: (input.RequestItems.t as unknown[]).slice(0, 2) } : {},
    }));

    // Act
    await batchWriteAll(client, 't', requests);

    // Assess
    expect(inputs.map((input) => (input.RequestItems.t as unknown[]).length)).toEqual([25, 2, 5]);
  });

  it(`fails with a retriable THROTTLED after ${MAX_UNPROCESSED_ROUNDS} rounds, never silently`, async () => {
    const { client, inputs } = fakeClient((input) => ({ UnprocessedItems: input.RequestItems }));

    await expect(batchWriteAll(client, 't', [{ DeleteRequest: { Key: { pk: 'p', sk: 1 } } }])).rejects.toMatchObject({
      code: 'THROTTLED',
      retriable: true,
    });
    expect(inputs).toHaveLength(MAX_UNPROCESSED_ROUNDS);
  });
});

describe('Function: batchGetAll', () => {
  it('asks again for unprocessed keys and gathers every answer', async () => {
    const { client, inputs } = fakeClient((input, call) => {
      const keys = (input.RequestItems.t as { Keys: { sk: number }[] }).Keys;
      return call === 1
        ? { Responses: { t: keys.slice(1) }, UnprocessedKeys: { t: { Keys: keys.slice(0, 1) } } }
        : { Responses: { t: keys } };
    });

    const found = await batchGetAll<{ sk: number }>(client, 't', [{ sk: 1 }, { sk: 2 }, { sk: 3 }], { ConsistentRead: true });

    expect(found.map((item) => item.sk).sort()).toEqual([1, 2, 3]);
    expect(inputs[1]!.RequestItems.t).toEqual({ ConsistentRead: true, Keys: [{ sk: 1 }] });
  });
});
