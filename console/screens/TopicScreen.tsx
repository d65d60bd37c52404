/** One topic: its settings and, per partition, the log start offset and high watermark; a form alters it. */
import { useState } from 'preact/hooks';
import { path, type Api } from '../api.js';
import { ErrorBox } from '../components/ErrorBox.js';
import { formatRetention } from '../components/format.js';
import { useLoad } from '../components/useLoad.js';
import { href } from '../router.js';

export interface TopicDescription {
  name: string;
  config: { retentionMs: number; retentionBytes: number; cleanupPolicy: string; maxMessageBytes: number };
  partitions: { partition: number; logStartOffset: number; highWatermark: number }[];
}

export function TopicScreen({ api, name }: { api: Api; name: string }) {
  const topic = useLoad(() => api.get<TopicDescription>(path('topics', name)), [api, name]);
  return (
    <section>
      <p>
        <a href={href('topics')}>← topics</a>
      </p>
      <h1>Topic {name}</h1>
      <ErrorBox error={topic.error} action={`describe topic ${name}`} />
      {topic.data && (
        <>
          <dl class="facts">
            <dt>retention</dt>
            <dd>{formatRetention(topic.data.config.retentionMs)}</dd>
            <dt>retention bytes</dt>
            <dd>{topic.data.config.retentionBytes < 0 ? 'no limit' : topic.data.config.retentionBytes}</dd>
            <dt>cleanup policy</dt>
            <dd>{topic.data.config.cleanupPolicy}</dd>
            <dt>max message bytes</dt>
            <dd>{topic.data.config.maxMessageBytes}</dd>
          </dl>
          <table>
            <thead>
              <tr>
                <th>partition</th>
                <th>log start</th>
                <th>high watermark</th>
                <th>records</th>
              </tr>
            </thead>
            <tbody>
              {topic.data.partitions.map((p) => (
                <tr key={p.partition}>
                  <td>
                    <a href={`${href('messages')}?topic=${encodeURIComponent(name)}&partition=${p.partition}`}>{p.partition}</a>
                  </td>
                  <td>{p.logStartOffset}</td>
                  <td>{p.highWatermark}</td>
                  <td>{p.highWatermark - p.logStartOffset}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <AlterTopic api={api} topic={topic.data} onAltered={topic.reload} />
        </>
      )}
    </section>
  );
}

/** `PATCH /v1/topics/{topic}`: more partitions (never fewer), retention, cleanup policy; only what changed is sent. */
function AlterTopic({ api, topic, onAltered }: { api: Api; topic: TopicDescription; onAltered: () => void }) {
  const hoursOf = (ms: number) => (ms < 0 ? '-1' : String(ms / 3_600_000));
  const [partitions, setPartitions] = useState(String(topic.partitions.length));
  const [retentionHours, setRetentionHours] = useState(hoursOf(topic.config.retentionMs));
  const [cleanupPolicy, setCleanupPolicy] = useState(topic.config.cleanupPolicy);
  const [error, setError] = useState<unknown>();
  const [notice, setNotice] = useState<string | undefined>();
  return (
    <form
      class="inline-form"
      aria-label="alter the topic"
      onSubmit={async (e) => {
        e.preventDefault();
        setError(undefined);
        setNotice(undefined);
        const hours = Number(retentionHours);
        const retentionMs = hours < 0 ? -1 : Math.round(hours * 3_600_000);
        const config = {
          ...(retentionMs !== topic.config.retentionMs ? { retentionMs } : {}),
          ...(cleanupPolicy !== topic.config.cleanupPolicy ? { cleanupPolicy } : {}),
        };
        const body = {
          ...(Number(partitions) !== topic.partitions.length ? { partitions: Number(partitions) } : {}),
          ...(Object.keys(config).length > 0 ? { config } : {}),
        };
        if (Object.keys(body).length === 0) {
          setNotice('nothing changed');
          return;
        }
        try {
          await api.patch(path('topics', topic.name), body);
          setNotice(`topic ${topic.name} altered`);
          onAltered();
        } catch (failure) {
          setError(failure);
        }
      }}
    >
      <h2>Alter the topic</h2>
      <label>
        partitions (only more){' '}
        <input name="partitions" type="number" min={topic.partitions.length} max="1000" value={partitions} onInput={(e) => setPartitions(e.currentTarget.value)} />
      </label>
      <label>
        retention (hours, -1 forever){' '}
        <input name="retention" type="number" min="-1" step="any" value={retentionHours} onInput={(e) => setRetentionHours(e.currentTarget.value)} />
      </label>
      <label>
        cleanup policy{' '}
        <select name="cleanupPolicy" value={cleanupPolicy} onChange={(e) => setCleanupPolicy(e.currentTarget.value)}>
          <option value="delete">delete</option>
          <option value="compact">compact</option>
        </select>
      </label>
      <button type="submit">alter</button>
      {notice && <span role="status">{notice}</span>}
      <ErrorBox error={error} action="alter this topic (it needs admin on the topic)" />
    </form>
  );
}
