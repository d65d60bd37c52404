/**
 * An append that read HEAD before the compactor moved on. Found by the fault
 * runs (docs/design.md, "Failure model"): an append whose put was held back
 * (throttled, retried) tried an offset that another batch had taken, been
 * committed at, and been rolled into a segment since; the batch item at that
 * offset was gone, so the put landed, HEAD was already past, and the append
 * answered that offset: an acknowledged batch no reader would ever see.
 */
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { Compactor } from '../../functions/log/Compactor.js';
import { createS3Client } from '../../functions/storage/s3Client.js';
import { encodeBatch, readBatchHeader } from '../../protocol/recordBatch.js';
import { brookUnderTest, type BrookUnderTest } from '../helpers/brookHandlers.js';
import { readWholeLog } from '../helpers/faultyStack.js';
import { createTestConfig } from '../helpers/testConfig.js';

let brook: BrookUnderTest;

beforeAll(async () => {
  brook = await brookUnderTest(await createTestConfig());
});

describe('an append that read HEAD before the compactor moved on', () => {
  it('is not answered an offset inside a segment: it goes to the end of the log and is read there', async () => {
    const topic = `races-${randomBytes(3).toString('hex')}`;
    expect((await brook.call({ method: 'POST', path: '/v1/topics', body: { name: topic, partitions: 1 } })).status).toBe(201);
    for (const batch of ['a', 'b', 'c']) {
      const answer = await brook.call({ method: 'POST', path: `/v1/topics/${topic}/records`, body: { records: [{ value: `${batch}0` }, { value: `${batch}1` }] } });
      expect(answer.status).toBe(200);
    }
    const { topicId } = await brook.topics.get(topic);
    const { config } = brook;
    const compactor = new Compactor({ doc: brook.wiring.doc, s3: createS3Client(config), tables: config.tables, bucket: config.bucket, minAgeMs: 0, dynamoDbBudgetBytes: 0 });
    expect((await compactor.runFor([`${topicId}#0`])).segmentsWritten).toBe(1); // [0, 6) in one segment; the items at 2 and 4 are gone

    // HEAD as it was when the second batch was about to be appended.
    const batch = encodeBatch([{ key: null, value: new Uint8Array(Buffer.from('late0')), headers: [], timestamp: Date.now() }, { key: null, value: new Uint8Array(Buffer.from('late1')), headers: [], timestamp: Date.now() }]);
    const stale = { next: 2, start: 0, m: 0, producers: {} };
    const result = await brook.log.append(topicId, 0, { batch, header: readBatchHeader(batch), knownHead: stale });

    expect(result.baseOffset).toBe(6);
    const log = await readWholeLog(brook, topic, 1);
    expect(log.map((r) => `${r.offset}:${r.value}`)).toEqual(['0:a0', '1:a1', '2:b0', '3:b1', '4:c0', '5:c1', '6:late0', '7:late1']);
  });
});
