/**
 * A table that renders only the rows in view (and a few around them) inside
 * its own scrolling box: the rows above and below are one spacer row each,
 * sized from the heights measured so far (an estimate for rows never shown).
 * Rows may differ in height (a pretty-printed JSON value is taller).
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';

const ESTIMATED_ROW_PX = 40;
const OVERSCAN_ROWS = 8;

export interface VirtualTableProps<T> {
  readonly items: readonly T[];
  readonly keyOf: (item: T) => string;
  readonly head: ComponentChildren;
  readonly columns: number;
  readonly cells: (item: T) => ComponentChildren;
  readonly rowAttributes?: (item: T) => Record<string, string>;
  readonly className?: string;
  readonly label?: string;
  /** The list scrolls back to the top when this changes (default: whenever `items` does); rows appended under the same key keep the scroll. */
  readonly resetKey?: unknown;
}

function Spacer({ height, columns }: { height: number; columns: number }) {
  if (height <= 0) return null;
  return (
    <tr class="spacer" aria-hidden="true">
      <td colSpan={columns} style={{ height: `${height}px` }} />
    </tr>
  );
}

export function VirtualTable<T>(props: VirtualTableProps<T>) {
  const { items, keyOf, columns } = props;
  const scroller = useRef<HTMLDivElement>(null);
  const body = useRef<HTMLTableSectionElement>(null);
  const heights = useRef(new Map<string, number>());
  const [scrollTop, setScrollTop] = useState(0);
  const [viewport, setViewport] = useState(800);
  const [, setMeasured] = useState(0);

  // A new set of rows starts at the top.
  useEffect(() => {
    if (scroller.current) scroller.current.scrollTop = 0;
    setScrollTop(0);
  }, [props.resetKey ?? items]);

  useEffect(() => {
    const measure = () => setViewport(scroller.current?.clientHeight || window.innerHeight);
    measure();
    window.addEventListener('resize', measure);
    return () => window.removeEventListener('resize', measure);
  }, []);

  const tops = new Array<number>(items.length + 1);
  tops[0] = 0;
  for (let i = 0; i < items.length; i++) tops[i + 1] = tops[i]! + (heights.current.get(keyOf(items[i]!)) ?? ESTIMATED_ROW_PX);
  let first = 0;
  while (first < items.length && tops[first + 1]! <= scrollTop) first++;
  let last = first;
  while (last < items.length && tops[last]! < scrollTop + viewport) last++;
  first = Math.max(0, first - OVERSCAN_ROWS);
  last = Math.min(items.length, last + OVERSCAN_ROWS);

  // Record the real heights of the rows just drawn; draw again if any estimate was off.
  useLayoutEffect(() => {
    let changed = false;
    for (const row of body.current?.querySelectorAll<HTMLTableRowElement>('tr[data-vkey]') ?? []) {
      const key = row.dataset.vkey!;
      const height = row.getBoundingClientRect().height;
      if (Math.abs((heights.current.get(key) ?? -1) - height) > 0.5) {
        heights.current.set(key, height);
        changed = true;
      }
    }
    if (changed) setMeasured((n) => n + 1);
  });

  return (
    <div class="scroll virtual" ref={scroller} onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)} tabIndex={0} aria-label={props.label}>
      <table class={props.className}>
        <thead>{props.head}</thead>
        <tbody ref={body}>
          <Spacer height={tops[first]!} columns={columns} />
          {items.slice(first, last).map((item) => {
            const key = keyOf(item);
            return (
              <tr key={key} data-vkey={key} {...(props.rowAttributes?.(item) ?? {})}>
                {props.cells(item)}
              </tr>
            );
          })}
          <Spacer height={tops[items.length]! - tops[last]!} columns={columns} />
        </tbody>
      </table>
    </div>
  );
}
