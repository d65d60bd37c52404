/**
 * The logging surface the log's core depends on, so that it needs nothing of
 * the HTTP layer: the Lambda handlers pass their Powertools logger, tests and
 * the local stack whatever they like.
 */
export interface Logger {
  debug(message: string, extra?: Record<string, unknown>): void;
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}
