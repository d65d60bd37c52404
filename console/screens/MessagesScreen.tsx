/**
 * The message browser: a topic's partition read from the earliest offset, the
 * latest minus N, an offset or a time, a page at a time (fetched in base64 so
 * every byte is exact), filtered in the page by key or text.
 *
 * Every row of a page is rendered (a page is at most 500 records): no
 * virtualized list yet.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { path, type Api } from '../api.js';
import { lenientText, renderValue, type ValueView } from '../components/bytes.js';
import { ErrorBox } from '../components/ErrorBox.js';
import { formatTime } from '../components/format.js';
import { useLoad } from '../components/useLoad.js';
import { VirtualTable } from '../components/VirtualTable.js';

interface FetchedRecord {
  offset: number;
  timestamp: number;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
}

interface FetchAnswer {
  records: FetchedRecord[];
  nextOffset: number;
  highWatermark: number;
  logStartOffset: number;
}

interface Page extends FetchAnswer {
  readonly start: number;
}

type StartMode = 'earliest' | 'latest' | 'offset' | 'time';

/** The largest page: the rows are virtualized, and the fetch route takes up to 10000. */
const MAX_PAGE = 5000;

export function MessagesScreen({ api, query }: { api: Api; query: URLSearchParams }) {
  const topics = useLoad(() => api.get<{ topics: { name: string; partitions: number }[] }>(path('topics')), [api]);
  const [topic, setTopic] = useState(query.get('topic') ?? '');
  const [partition, setPartition] = useState(query.get('partition') ?? '0');
  const [mode, setMode] = useState<StartMode>('earliest');
  const [minusN, setMinusN] = useState('50');
  const [offset, setOffset] = useState('0');
  const [time, setTime] = useState('');
  const [pageSize, setPageSize] = useState('50');
  const [view, setView] = useState<ValueView>('text');
  const [keyFilter, setKeyFilter] = useState('');
  const [textFilter, setTextFilter] = useState('');
  const [page, setPage] = useState<Page | undefined>();
  const [history, setHistory] = useState<number[]>([]);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    // The first topic is only a default: never over a topic chosen while the list was loading.
    const first = topics.data?.topics[0]?.name;
    if (first !== undefined) setTopic((current) => (current === '' ? first : current));
  }, [topics.data]);
  const partitions = topics.data?.topics.find((t) => t.name === topic)?.partitions ?? 0;
  const size = Math.min(MAX_PAGE, Math.max(1, Number(pageSize) || 50));
  const base = path('topics', topic, 'partitions', partition);

  const offsetAt = async (at: string) => (await api.get<{ offset: number }>(`${base}/offsets`, { at })).offset;

  const load = async (start: number, pushHistory: boolean) => {
    const answer = await api.get<FetchAnswer>(`${base}/records`, { offset: start, maxRecords: size, encoding: 'base64' });
    if (pushHistory && page) setHistory((h) => [...h, page.start]);
    setPage({ ...answer, start });
  };

  const run = async (action: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    try {
      await action();
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };

  const start = () =>
    run(async () => {
      let from: number;
      if (mode === 'earliest') from = await offsetAt('earliest');
      else if (mode === 'latest') {
        const [earliest, latest] = await Promise.all([offsetAt('earliest'), offsetAt('latest')]);
        from = Math.max(earliest, latest - Math.max(0, Number(minusN) || 0));
      } else if (mode === 'offset') from = Number(offset);
      else {
        const ms = Date.parse(time);
        if (Number.isNaN(ms)) throw new Error('choose a date and time to start at');
        from = await offsetAt(String(ms));
      }
      setHistory([]);
      await load(from, false);
    });

  const rows = useMemo(() => {
    const records = (page?.records ?? []).map((r) => ({ ...r, keyText: lenientText(r.key), valueText: lenientText(r.value) }));
    const k = keyFilter.toLowerCase();
    const t = textFilter.toLowerCase();
    return records.filter(
      (r) =>
        (k === '' || (r.keyText ?? '').toLowerCase().includes(k)) &&
        (t === '' ||
          [r.keyText ?? '', r.valueText ?? '', ...Object.entries(r.headers).map(([n, v]) => `${n}=${lenientText(v)}`)].some((s) => s.toLowerCase().includes(t))),
    );
  }, [page, keyFilter, textFilter]);

  return (
    <section>
      <h1>Messages</h1>
      <ErrorBox error={topics.error} action="list topics" />
      <form
        class="inline-form"
        aria-label="where to read"
        onSubmit={(e) => {
          e.preventDefault();
          void start();
        }}
      >
        <label>
          topic
          <select
            name="topic"
            value={topic}
            onChange={(e) => {
              setTopic(e.currentTarget.value);
              setPartition('0');
              setPage(undefined);
            }}
          >
            {(topics.data?.topics ?? []).map((t) => (
              <option key={t.name} value={t.name}>
                {t.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          partition
          <select name="partition" value={partition} onChange={(e) => setPartition(e.currentTarget.value)}>
            {Array.from({ length: partitions }, (_, i) => (
              <option key={i} value={String(i)}>
                {i}
              </option>
            ))}
          </select>
        </label>
        <label>
          start at
          <select name="mode" value={mode} onChange={(e) => setMode(e.currentTarget.value as StartMode)}>
            <option value="earliest">earliest</option>
            <option value="latest">latest minus N</option>
            <option value="offset">an offset</option>
            <option value="time">a time</option>
          </select>
        </label>
        {mode === 'latest' && (
          <label>
            N <input name="n" type="number" min="0" value={minusN} onInput={(e) => setMinusN(e.currentTarget.value)} />
          </label>
        )}
        {mode === 'offset' && (
          <label>
            offset <input name="offset" type="number" min="0" value={offset} onInput={(e) => setOffset(e.currentTarget.value)} />
          </label>
        )}
        {mode === 'time' && (
          <label>
            time (local) <input name="time" type="datetime-local" step="1" value={time} onInput={(e) => setTime(e.currentTarget.value)} />
          </label>
        )}
        <label>
          page size <input name="pageSize" type="number" min="1" max={MAX_PAGE} value={pageSize} onInput={(e) => setPageSize(e.currentTarget.value)} />
        </label>
        <button type="submit" disabled={busy || topic === ''}>
          read
        </button>
      </form>
      <ErrorBox error={error} action={`read topic ${topic}`} />
      {page && (
        <>
          <div class="toolbar">
            <button type="button" disabled={busy || history.length === 0} onClick={() => run(async () => {
              const previous = history[history.length - 1]!;
              setHistory((h) => h.slice(0, -1));
              await load(previous, false);
            })}>
              ← previous page
            </button>
            <button type="button" disabled={busy || page.nextOffset >= page.highWatermark} onClick={() => run(() => load(page.nextOffset, true))}>
              next page →
            </button>
            <span class="muted">
              offsets {page.start}–{page.nextOffset - 1} of [{page.logStartOffset}, {page.highWatermark})
            </span>
            <label>
              value as
              <select name="view" value={view} onChange={(e) => setView(e.currentTarget.value as ValueView)}>
                <option value="text">text</option>
                <option value="json">pretty JSON</option>
                <option value="base64">base64</option>
              </select>
            </label>
            <label>
              key contains <input name="keyFilter" type="search" value={keyFilter} onInput={(e) => setKeyFilter(e.currentTarget.value)} />
            </label>
            <label>
              text contains <input name="textFilter" type="search" value={textFilter} onInput={(e) => setTextFilter(e.currentTarget.value)} />
            </label>
          </div>
          <VirtualTable
            className="records"
            label="records"
            items={rows}
            columns={5}
            keyOf={(r) => String(r.offset)}
            rowAttributes={(r) => ({ 'data-offset': String(r.offset) })}
            head={
              <tr>
                <th>offset</th>
                <th>timestamp</th>
                <th>key</th>
                <th>value</th>
                <th>headers</th>
              </tr>
            }
            cells={(r) => {
              const value = renderValue(r.value, view);
              return (
                <>
                  <td>{r.offset}</td>
                  <td>{formatTime(r.timestamp)}</td>
                  <td class="key">{view === 'base64' ? r.key : r.keyText ?? <em>null</em>}</td>
                  <td>
                    {value.note && <em class="muted">{value.note} </em>}
                    <pre>{value.text}</pre>
                  </td>
                  <td>
                    {Object.entries(r.headers).map(([name, v]) => (
                      <div key={name}>
                        <code>{name}</code>: {view === 'base64' ? v : lenientText(v)}
                      </div>
                    ))}
                  </td>
                </>
              );
            }}
          />
          {rows.length === 0 && <p>{page.records.length === 0 ? 'no records from this offset' : 'no record of this page matches the filter'}</p>}
        </>
      )}
    </section>
  );
}
