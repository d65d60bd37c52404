/**
 * A group's lag over time while its page is open (uPlot, bundled): the total
 * and each partition's, one point per describe the page polls.
 */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

/** One poll: when (ms since the epoch) and the lag of each `topic/partition`. */
export interface LagSample {
  readonly at: number;
  readonly lag: Readonly<Record<string, number>>;
}

/** At most this many points are kept (about 30 minutes at one poll every 3 s). */
export const MAX_SAMPLES = 600;

const COLORS = ['#1f6feb', '#8a5a00', '#2da44e', '#b3261e', '#8250df', '#0a7ea4', '#bf3989', '#57606a'];

function chartData(samples: readonly LagSample[], series: readonly string[]): uPlot.AlignedData {
  return [
    samples.map((s) => s.at / 1000),
    samples.map((s) => Object.values(s.lag).reduce((a, b) => a + b, 0)),
    ...series.map((name) => samples.map((s) => s.lag[name] ?? null)),
  ];
}

/** The time axis, from the first point (or a minute before the last, if later) to the last, from the data itself. */
function timeRange(u: uPlot): uPlot.Range.MinMax {
  const xs = u.data[0];
  const last = xs[xs.length - 1] ?? Date.now() / 1000;
  const first = xs[0] ?? last;
  return [Math.min(first, last - 60), last];
}

export function LagChart({ samples }: { samples: readonly LagSample[] }) {
  const box = useRef<HTMLDivElement>(null);
  const chart = useRef<{ plot: uPlot; key: string } | undefined>(undefined);
  const series = [...new Set(samples.flatMap((s) => Object.keys(s.lag)))].sort();
  const key = series.join('|');

  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const data = chartData(samples, series);
    if (chart.current && chart.current.key === key) {
      chart.current.plot.setData(data);
      return;
    }
    chart.current?.plot.destroy();
    const width = Math.max(260, Math.min(900, element.clientWidth || 600));
    const plot = new uPlot(
      {
        width,
        height: 220,
        // At least the last minute, so that the first points do not spread over years.
        scales: { x: { time: true, range: timeRange }, y: { range: (_u, _min, max) => [0, Math.max(max ?? 0, 1)] } },
        axes: [{}, { label: 'lag (records)' }],
        series: [
          {},
          { label: 'total', stroke: '#222', width: 2 },
          ...series.map((name, i) => ({ label: name, stroke: COLORS[i % COLORS.length]!, width: 1 })),
        ],
      },
      data,
      element,
    );
    chart.current = { plot, key };
  });

  useEffect(() => () => chart.current?.plot.destroy(), []);

  return <div class="lag-chart" ref={box} />;
}
