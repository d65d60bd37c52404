import type { RequestCounts } from '../functions/storage/requestMeter.js';

/**
 * AWS public on-demand prices, us-east-1, as of 2026 (USD). Brook's costs are
 * priced from counted requests with these; change them here for another region.
 */
export const PRICES = {
  /** DynamoDB on-demand, per write request unit (1 KB) and read request unit (4 KB, strongly consistent). */
  dynamoDbWriteUnit: 0.625 / 1e6,
  dynamoDbReadUnit: 0.125 / 1e6,
  /** S3 Standard requests. */
  s3Put: 0.005 / 1000,
  s3Get: 0.0004 / 1000,
  s3List: 0.005 / 1000,
  /** Lambda on arm64: per request, and per GB-second at the memory size below. */
  lambdaRequest: 0.2 / 1e6,
  lambdaGbSecond: 0.0000133334,
  lambdaMemoryGb: 1,
  /** API Gateway HTTP API, per request (first 300 million a month). */
  apiRequest: 1.0 / 1e6,
} as const;

export interface Usage {
  counts: RequestCounts;
  invocations: number;
  lambdaMs: number;
  apiRequests: number;
}

export function priceOf(usage: Usage): { total: number; parts: Record<string, number> } {
  const parts = {
    dynamoDbWrites: usage.counts.dynamoDbWriteUnits * PRICES.dynamoDbWriteUnit,
    dynamoDbReads: usage.counts.dynamoDbReadUnits * PRICES.dynamoDbReadUnit,
    s3: usage.counts.s3Puts * PRICES.s3Put + usage.counts.s3Gets * PRICES.s3Get + usage.counts.s3Lists * PRICES.s3List,
    lambda: usage.invocations * PRICES.lambdaRequest + (usage.lambdaMs / 1000) * PRICES.lambdaMemoryGb * PRICES.lambdaGbSecond,
    apiGateway: usage.apiRequests * PRICES.apiRequest,
  };
  return { total: Object.values(parts).reduce((a, b) => a + b, 0), parts };
}
