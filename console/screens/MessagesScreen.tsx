/**
 * The message browser: a topic's partition, or all of them, read from the
 * earliest offset, the latest minus N, an offset or a time, a page at a time
 * through `POST /v1/fetch` (in base64, so every byte is exact), merged in
 * timestamp order and filtered in the page by key or text; or a live tail
 * that appends new records as they arrive.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { path, type Api } from '../api.js';
import type { ValueView } from '../components/bytes.js';
import { ErrorBox } from '../components/ErrorBox.js';
import { useLoad } from '../components/useLoad.js';
import { appendRecords, MAX_LOADED, readPage, type FetchedOnce } from './messages/fetchRecords.js';
import { filterRecords } from './messages/filterRecords.js';
import { PageToolbar } from './messages/PageToolbar.js';
import { PartitionErrors } from './messages/PartitionErrors.js';
import { RecordsTable } from './messages/RecordsTable.js';
import { startPositions } from './messages/startPositions.js';
import { ALL_PARTITIONS, StartForm } from './messages/StartForm.js';
import type { LoadedRecords, Position, StartChoice } from './messages/types.js';
import { useLiveTail } from './messages/useLiveTail.js';

const NOTHING_LOADED: LoadedRecords = { from: [], next: [], records: [], bounds: [], errors: [] };

export function MessagesScreen({ api, query }: { api: Api; query: URLSearchParams }) {
  const topics = useLoad(() => api.get<{ topics: { name: string; partitions: number }[] }>(path('topics')), [api]);
  const [topic, setTopic] = useState(query.get('topic') ?? '');
  const [partition, setPartition] = useState(query.get('partition') ?? '0');
  const [view, setView] = useState<ValueView>('text');
  const [keyFilter, setKeyFilter] = useState('');
  const [textFilter, setTextFilter] = useState('');
  const [loaded, setLoaded] = useState<LoadedRecords | undefined>();
  const [pageSize, setPageSize] = useState(50);
  const [history, setHistory] = useState<(readonly Position[])[]>([]);
  const [tailing, setTailing] = useState(false);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    // The first topic is only a default: never over a topic chosen while the list was loading.
    const first = topics.data?.topics[0]?.name;
    if (first !== undefined) setTopic((current) => (current === '' ? first : current));
  }, [topics.data]);
  const partitionCount = topics.data?.topics.find((t) => t.name === topic)?.partitions ?? 0;
  const partitions = useMemo(
    () => (partition === ALL_PARTITIONS ? Array.from({ length: partitionCount }, (_, i) => i) : [Number(partition)]),
    [partition, partitionCount],
  );

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

  const read = (from: readonly Position[], size: number) => readPage(api, topic, from, size).then(setLoaded);

  const start = (choice: StartChoice, size: number) =>
    run(async () => {
      if (choice.mode === 'time' && Number.isNaN(choice.timeMs)) throw new Error('choose a date and time to start at');
      const from = await startPositions(api, topic, partitions, choice);
      setPageSize(size);
      setHistory([]);
      await read(from, size);
    });

  const choose = (next: { topic?: string; partition?: string }) => {
    setTailing(false);
    setLoaded(undefined);
    if (next.topic !== undefined) {
      setTopic(next.topic);
      setPartition('0');
    }
    if (next.partition !== undefined) setPartition(next.partition);
  };

  useLiveTail({
    api,
    topic,
    partitions,
    active: tailing,
    onRead: (fetched: FetchedOnce) => {
      setLoaded((current) => appendRecords(current ?? NOTHING_LOADED, fetched));
      if (fetched.errors.length > 0) setTailing(false);
    },
    onError: (failure) => {
      setError(failure);
      setTailing(false);
    },
  });

  const rows = useMemo(() => filterRecords(loaded?.records ?? [], keyFilter, textFilter), [loaded, keyFilter, textFilter]);

  return (
    <section>
      <h1>Messages</h1>
      <ErrorBox error={topics.error} action="list topics" />
      <StartForm
        topics={topics.data?.topics ?? []}
        topic={topic}
        partition={partition}
        maxPage={MAX_LOADED}
        busy={busy}
        tailing={tailing}
        onTopic={(t) => choose({ topic: t })}
        onPartition={(p) => choose({ partition: p })}
        onRead={(choice, size) => void start(choice, size)}
        onTail={(on) => {
          setError(undefined);
          if (on) setLoaded((current) => current ?? NOTHING_LOADED);
          setTailing(on);
        }}
      />
      <ErrorBox error={error} action={`read topic ${topic}`} />
      {loaded && (
        <>
          <PartitionErrors errors={loaded.errors} />
          <PageToolbar
            loaded={loaded}
            tailing={tailing}
            busy={busy}
            canGoBack={history.length > 0}
            onPrevious={() =>
              run(async () => {
                const previous = history[history.length - 1]!;
                setHistory((h) => h.slice(0, -1));
                await read(previous, pageSize);
              })
            }
            onNext={() =>
              run(async () => {
                setHistory((h) => [...h, loaded.from]);
                await read(loaded.next, pageSize);
              })
            }
            view={view}
            onView={setView}
            keyFilter={keyFilter}
            onKeyFilter={setKeyFilter}
            textFilter={textFilter}
            onTextFilter={setTextFilter}
          />
          <RecordsTable records={rows} view={view} resetKey={loaded.from} />
          {rows.length === 0 && (
            <p>{loaded.records.length === 0 ? (tailing ? 'waiting for new records' : 'no records from this offset') : 'no record of the loaded ones matches the filter'}</p>
          )}
        </>
      )}
    </section>
  );
}
