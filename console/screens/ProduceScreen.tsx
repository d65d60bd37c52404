/** Produce one record: key, value, headers (one `name: value` a line), optional partition; shows where it went. */
import { useState } from 'preact/hooks';
import { path, type Api } from '../api.js';
import { ErrorBox } from '../components/ErrorBox.js';
import { TopicSelect } from '../components/TopicSelect.js';
import { useLoad } from '../components/useLoad.js';

interface ProduceAnswer {
  results: { partition: number; offset?: number; error?: { code: string; message: string } }[];
}

/** `name: value` lines to a headers object; a line without a colon is an error. */
export function parseHeaders(text: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Error(`header line "${line}" is not name: value`);
    headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  return headers;
}

export function ProduceScreen({ api, query }: { api: Api; query: URLSearchParams }) {
  const topics = useLoad(() => api.get<{ topics: { name: string; partitions: number }[] }>(path('topics')), [api]);
  const [topic, setTopic] = useState(query.get('topic') ?? '');
  const [key, setKey] = useState('');
  const [value, setValue] = useState('');
  const [headers, setHeaders] = useState('');
  const [partition, setPartition] = useState('');
  const [answer, setAnswer] = useState<ProduceAnswer | undefined>();
  const [error, setError] = useState<unknown>();
  const chosen = topic || topics.data?.topics[0]?.name || '';
  return (
    <section>
      <h1>Produce</h1>
      <ErrorBox error={topics.error} action="list topics" />
      <form
        class="stacked"
        aria-label="produce a record"
        onSubmit={async (e) => {
          e.preventDefault();
          setError(undefined);
          setAnswer(undefined);
          try {
            const record: Record<string, unknown> = { value, headers: parseHeaders(headers) };
            if (key !== '') record.key = key;
            if (partition.trim() !== '') record.partition = Number(partition);
            setAnswer(await api.post<ProduceAnswer>(path('topics', chosen, 'records'), { records: [record] }));
          } catch (failure) {
            setError(failure);
          }
        }}
      >
        <TopicSelect topics={topics.data?.topics ?? []} value={chosen} onChange={setTopic} />
        <label>
          key (empty: none) <input name="key" value={key} onInput={(e) => setKey(e.currentTarget.value)} />
        </label>
        <label>
          value (UTF-8 text)
          <textarea name="value" rows={5} value={value} onInput={(e) => setValue(e.currentTarget.value)} />
        </label>
        <label>
          headers (one name: value a line)
          <textarea name="headers" rows={3} value={headers} onInput={(e) => setHeaders(e.currentTarget.value)} />
        </label>
        <label>
          partition (empty: by key, or the next one) <input name="partition" type="number" min="0" value={partition} onInput={(e) => setPartition(e.currentTarget.value)} />
        </label>
        <button type="submit" disabled={chosen === ''}>
          produce
        </button>
      </form>
      <ErrorBox error={error} action={`write to topic ${chosen}`} />
      {answer?.results.map((r, i) =>
        r.error ? (
          <ErrorBox key={i} error={new Error(`${r.error.code}: ${r.error.message}`)} />
        ) : (
          <p key={i} role="status" class="produced">
            appended to partition <strong data-partition={r.partition}>{r.partition}</strong> at offset <strong data-offset={r.offset}>{r.offset}</strong>
          </p>
        ),
      )}
    </section>
  );
}
