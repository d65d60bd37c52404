/** One topic: its settings and, per partition, the log start offset and high watermark. */
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
        </>
      )}
    </section>
  );
}
