/**
 * Measurements of `brook bench`: an HDR histogram of latencies (recorded in
 * microseconds, reported in milliseconds) and the summary line, in the words
 * of kafka-producer-perf-test. Pure apart from the histogram, so unit-tested.
 */
import hdr from 'hdr-histogram-js';

const MB = 1024 * 1024;

export interface Latencies {
  /** Records one latency in milliseconds (fractions kept to the microsecond). */
  record(ms: number): void;
  readonly count: number;
  /** Milliseconds. */
  stats(): LatencyStats;
}

export interface LatencyStats {
  avg: number;
  min: number;
  p50: number;
  p95: number;
  p99: number;
  p999: number;
  max: number;
}

export function latencies(): Latencies {
  const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3 });
  const ms = (us: number) => Math.round(us) / 1000;
  return {
    record: (value) => histogram.recordValue(Math.max(1, Math.round(value * 1000))),
    get count() {
      return histogram.totalCount;
    },
    stats: () =>
      histogram.totalCount === 0
        ? { avg: 0, min: 0, p50: 0, p95: 0, p99: 0, p999: 0, max: 0 }
        : {
            avg: ms(histogram.mean),
            min: ms(histogram.minNonZeroValue),
            // A percentile is the top of its HDR bucket: never report one above the largest value seen.
            p50: ms(Math.min(histogram.getValueAtPercentile(50), histogram.maxValue)),
            p95: ms(Math.min(histogram.getValueAtPercentile(95), histogram.maxValue)),
            p99: ms(Math.min(histogram.getValueAtPercentile(99), histogram.maxValue)),
            p999: ms(Math.min(histogram.getValueAtPercentile(99.9), histogram.maxValue)),
            max: ms(histogram.maxValue),
          },
  };
}

export interface BenchSummary {
  /** Records acknowledged (produce) or read (consume). */
  records: number;
  /** Bytes of keys, values and headers. */
  bytes: number;
  elapsedMs: number;
  recordsPerSec: number;
  mbPerSec: number;
  /** Per record from send to acknowledgement (produce), per fetch request (consume). */
  latencyMs: LatencyStats;
  errors: number;
}

const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;

export function summarize(records: number, bytes: number, elapsedMs: number, latency: LatencyStats, errors = 0): BenchSummary {
  const seconds = Math.max(elapsedMs, 1) / 1000;
  return {
    records,
    bytes,
    elapsedMs: Math.round(elapsedMs),
    recordsPerSec: round(records / seconds, 1),
    mbPerSec: round(bytes / MB / seconds, 2),
    latencyMs: latency,
    errors,
  };
}

const ms = (value: number) => `${value.toFixed(2)} ms`;

/** kafka-producer-perf-test's closing line. */
export function formatProduceSummary(s: BenchSummary): string {
  const { latencyMs: l } = s;
  return (
    `${s.records} records sent, ${s.recordsPerSec.toFixed(1)} records/sec (${s.mbPerSec.toFixed(2)} MB/sec), ` +
    `${ms(l.avg)} avg latency, ${ms(l.max)} max latency, ${ms(l.p50)} 50th, ${ms(l.p95)} 95th, ${ms(l.p99)} 99th, ${ms(l.p999)} 99.9th` +
    (s.errors > 0 ? `, ${s.errors} errors.` : '.')
  );
}

/** The consumer's closing line, with fetch latencies. */
export function formatConsumeSummary(s: BenchSummary & { fetches: number }): string {
  const { latencyMs: l } = s;
  return (
    `${s.records} records read (${(s.bytes / MB).toFixed(2)} MB) in ${(s.elapsedMs / 1000).toFixed(2)} s, ` +
    `${s.recordsPerSec.toFixed(1)} records/sec (${s.mbPerSec.toFixed(2)} MB/sec), ${s.fetches} fetches: ` +
    `${ms(l.avg)} avg, ${ms(l.p50)} 50th, ${ms(l.p95)} 95th, ${ms(l.p99)} 99th, ${ms(l.max)} max fetch latency.`
  );
}
