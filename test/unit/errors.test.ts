import { describe, expect, it } from 'vitest';
import { BrookError, ERROR_TABLE, isErrorCode } from '../../protocol/errors.js';

describe('protocol: error table', () => {
  it('gives every code of the contract its status', () => {
    // The table in docs/http.md ("Errors", under Conventions), row by row.
    const contract: Record<number, string[]> = {
      400: ['INVALID_REQUEST', 'INVALID_TOPIC', 'INVALID_CONFIG', 'INVALID_RECORD', 'INVALID_OFFSET'],
      401: ['UNAUTHENTICATED'],
      403: ['FORBIDDEN'],
      404: ['TOPIC_NOT_FOUND', 'PARTITION_NOT_FOUND', 'GROUP_NOT_FOUND', 'MEMBER_NOT_FOUND', 'SUBSCRIPTION_NOT_FOUND', 'NOT_FOUND'],
      405: ['METHOD_NOT_ALLOWED'],
      409: [
        'TOPIC_EXISTS', 'SUBSCRIPTION_EXISTS', 'GROUP_NOT_EMPTY', 'OFFSET_MISMATCH', 'PRODUCER_FENCED', 'OUT_OF_ORDER_SEQUENCE',
        'UNKNOWN_PRODUCER', 'FENCED_MEMBER', 'REBALANCE_IN_PROGRESS',
      ],
      413: ['RECORD_TOO_LARGE', 'REQUEST_TOO_LARGE'],
      416: ['OFFSET_OUT_OF_RANGE'],
      429: ['THROTTLED'],
      500: ['INTERNAL'],
      503: ['UNAVAILABLE', 'TIMEOUT'],
    };
    const expected = Object.entries(contract).flatMap(([status, codes]) => codes.map((code) => [code, Number(status)] as const));

    const actual = Object.entries(ERROR_TABLE).map(([code, row]) => [code, row.status] as const);

    expect(new Map(actual)).toEqual(new Map(expected));
  });

  it('marks exactly REBALANCE_IN_PROGRESS, THROTTLED, UNAVAILABLE and TIMEOUT retriable', () => {
    const retriable = Object.entries(ERROR_TABLE).filter(([, row]) => row.retriable).map(([code]) => code);
    expect(retriable.sort()).toEqual(['REBALANCE_IN_PROGRESS', 'THROTTLED', 'TIMEOUT', 'UNAVAILABLE']);
  });

  it('serializes to the contract shape with details beside the code', () => {
    const error = new BrookError('OFFSET_OUT_OF_RANGE', 'offset 9 is past the end', { logStartOffset: 0, highWatermark: 5 });

    expect(error.status).toBe(416);
    expect(JSON.parse(JSON.stringify(error))).toEqual({
      error: { code: 'OFFSET_OUT_OF_RANGE', message: 'offset 9 is past the end', retriable: false, logStartOffset: 0, highWatermark: 5 },
    });
  });

  it('does not let details overwrite code, message or retriable', () => {
    const error = new BrookError('THROTTLED', 'slow down', { code: 'X', retriable: false });
    expect(error.toJSON().error).toMatchObject({ code: 'THROTTLED', retriable: true, message: 'slow down' });
  });

  it('recognises codes', () => {
    expect(isErrorCode('TOPIC_EXISTS')).toBe(true);
    expect(isErrorCode('toString')).toBe(false);
    expect(isErrorCode(404)).toBe(false);
  });
});
