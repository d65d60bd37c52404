/**
 * The request schemas of records in JSON (docs/http.md, Produce and Record
 * encoding). Apart from recordJson.ts, so that code that only turns records
 * into JSON (fetch, the dispatcher) does not carry the validator.
 */
import * as z from 'zod';
import type { Encoding, ProduceRecord } from '../../protocol/types.js';

export const encodingSchema = z.enum(['utf8', 'base64']) satisfies z.ZodType<Encoding>;

/** A record as a JSON produce request carries it (docs/http.md, Produce). */
export const jsonRecordSchema = z.strictObject({
  key: z.string().nullable().optional(),
  value: z.unknown().optional(),
  headers: z.record(z.string(), z.string()).optional(),
  partition: z.int().min(0).optional(),
  timestamp: z.int().min(0).optional(),
}) satisfies z.ZodType<ProduceRecord>;
