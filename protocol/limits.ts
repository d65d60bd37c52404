/**
 * Limits of the Brook HTTP API v1 (docs/http.md): what the server enforces
 * and the SDK and the CLI may check before sending.
 */

/** The largest request body accepted (Conventions, "Size"): 6 MB, Lambda's own payload limit. */
export const MAX_REQUEST_BYTES = 6 * 1024 * 1024;

/** The longest a fetch may wait for data (`waitMs`). */
export const MAX_WAIT_MS = 20_000;

/** Fetch limits (Fetch). A response must fit Lambda's 6 MB, so bytes are capped at 4 MiB. */
export const FETCH_LIMITS = {
  defaultMaxRecords: 500,
  maxMaxRecords: 10_000,
  defaultMaxBytes: 1_048_576,
  defaultMultiMaxBytes: 4_194_304,
  maxMaxBytes: 4_194_304,
} as const;
