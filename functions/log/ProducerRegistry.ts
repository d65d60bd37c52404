import { randomInt } from 'node:crypto';
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { BrookError } from '../../protocol/errors.js';
import { isConditionalCheckFailed, translateStorageError } from '../storage/errors.js';

/** Producer ids are decimal integers below 2^53, so they fit the batch header's int64 and JSON numbers alike. */
export const PRODUCER_ID_PATTERN = /^[1-9][0-9]{0,15}$/;
/** The batch header holds the epoch in 16 bits. */
export const MAX_PRODUCER_EPOCH = 32_767;

export const PRODUCER_ITEM_PREFIX = '#producer#';

export interface ProducerRegistration {
  id: string;
  epoch: number;
}

export function isValidProducerId(id: unknown): id is string {
  return typeof id === 'string' && PRODUCER_ID_PATTERN.test(id) && Number(id) <= Number.MAX_SAFE_INTEGER;
}

/**
 * Idempotent producers, one item each in the topics table
 * (`pk = #producer#<id>`, `epoch`). Registering an id again bumps its epoch:
 * requests with an older epoch are then refused with PRODUCER_FENCED.
 */
export class ProducerRegistry {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /** Registers a new producer, or bumps the epoch of `id`. */
  async register(id?: string): Promise<ProducerRegistration> {
    const producerId = id ?? String(randomInt(1, 2 ** 48));
    try {
      const result = await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: `${PRODUCER_ITEM_PREFIX}${producerId}` },
          UpdateExpression: 'SET #epoch = if_not_exists(#epoch, :minusOne) + :one, #updatedAt = :now',
          ConditionExpression: 'attribute_not_exists(#epoch) OR #epoch < :max',
          ExpressionAttributeNames: { '#epoch': 'epoch', '#updatedAt': 'updatedAt' },
          ExpressionAttributeValues: { ':minusOne': -1, ':one': 1, ':max': MAX_PRODUCER_EPOCH, ':now': Date.now() },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { id: producerId, epoch: result.Attributes!.epoch as number };
    } catch (error) {
      if (isConditionalCheckFailed(error)) {
        throw new BrookError('INVALID_REQUEST', `producer ${producerId} has used every epoch; register without an id`);
      }
      throw translateStorageError(error);
    }
  }

  /**
   * Checks that `epoch` is the current epoch of producer `id`: an older one is
   * PRODUCER_FENCED, an unknown id or a future epoch UNKNOWN_PRODUCER.
   */
  async checkCurrent(id: string, epoch: number): Promise<void> {
    let current: number | undefined;
    try {
      const result = await this.doc.send(new GetCommand({ TableName: this.table, Key: ProducerRegistry.itemKey(id), ConsistentRead: true }));
      current = result.Item?.epoch as number | undefined;
    } catch (error) {
      throw translateStorageError(error);
    }
    checkEpoch(id, epoch, current);
  }

  /** The key of producer `id`'s item (in the topics table), for reads batched with others; consistent ones. */
  static itemKey(id: string): { pk: string } {
    return { pk: `${PRODUCER_ITEM_PREFIX}${id}` };
  }
}

/** Refuses `epoch` unless it is producer `id`'s `current` one (undefined: never registered). */
export function checkEpoch(id: string, epoch: number, current: number | undefined): void {
  if (current === undefined || epoch > current) {
    throw new BrookError('UNKNOWN_PRODUCER', `producer ${id} with epoch ${epoch} is not registered; POST /v1/producers first`);
  }
  if (epoch < current) {
    throw new BrookError('PRODUCER_FENCED', `producer ${id} epoch ${epoch} is fenced by epoch ${current}`, { epoch: current });
  }
}
