/** Above the records: previous and next page, what is loaded, the value view and the filters. */
import type { ValueView } from '../../components/bytes.js';
import type { LoadedRecords } from './types.js';

/** `offsets 3–52 of [0, 120)` for one partition; a count and the partitions for several. */
export function describeLoaded(loaded: LoadedRecords, tailing: boolean): string {
  if (tailing) return `live: ${loaded.records.length} records loaded, waiting for more`;
  const [only] = loaded.bounds;
  if (loaded.from.length === 1 && only) {
    const next = loaded.next[0]?.offset ?? loaded.from[0]!.offset;
    return `offsets ${loaded.from[0]!.offset}–${next - 1} of [${only.logStartOffset}, ${only.highWatermark})`;
  }
  return `${loaded.records.length} records of ${loaded.bounds.length} partitions`;
}

/** True when every partition read is at its high watermark. */
export function atEnd(loaded: LoadedRecords): boolean {
  const high = new Map(loaded.bounds.map((b) => [b.partition, b.highWatermark]));
  return loaded.next.every((p) => p.offset >= (high.get(p.partition) ?? p.offset));
}

export interface PageToolbarProps {
  readonly loaded: LoadedRecords;
  readonly tailing: boolean;
  readonly busy: boolean;
  readonly canGoBack: boolean;
  readonly onPrevious: () => void;
  readonly onNext: () => void;
  readonly view: ValueView;
  readonly onView: (view: ValueView) => void;
  readonly keyFilter: string;
  readonly onKeyFilter: (text: string) => void;
  readonly textFilter: string;
  readonly onTextFilter: (text: string) => void;
}

export function PageToolbar(props: PageToolbarProps) {
  const paging = props.busy || props.tailing;
  return (
    <div class="toolbar">
      <button type="button" disabled={paging || !props.canGoBack} onClick={props.onPrevious}>
        ← previous page
      </button>
      <button type="button" disabled={paging || atEnd(props.loaded)} onClick={props.onNext}>
        next page →
      </button>
      <span class="muted" role="status">
        {describeLoaded(props.loaded, props.tailing)}
      </span>
      <label>
        value as
        <select name="view" value={props.view} onChange={(e) => props.onView(e.currentTarget.value as ValueView)}>
          <option value="text">text</option>
          <option value="json">pretty JSON</option>
          <option value="hex">hex</option>
          <option value="base64">base64</option>
        </select>
      </label>
      <label>
        key contains <input name="keyFilter" type="search" value={props.keyFilter} onInput={(e) => props.onKeyFilter(e.currentTarget.value)} />
      </label>
      <label>
        text contains <input name="textFilter" type="search" value={props.textFilter} onInput={(e) => props.onTextFilter(e.currentTarget.value)} />
      </label>
    </div>
  );
}
