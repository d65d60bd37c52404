/** Topics: a filtered list, create, and delete after typing the name. */
import { useState } from 'preact/hooks';
import { path, type Api } from '../api.js';
import { TypedConfirm } from '../components/Confirm.js';
import { ErrorBox } from '../components/ErrorBox.js';
import { useLoad } from '../components/useLoad.js';
import { href } from '../router.js';

interface TopicList {
  topics: { name: string; partitions: number }[];
}

function CreateTopic({ api, onCreated }: { api: Api; onCreated: (name: string) => void }) {
  const [name, setName] = useState('');
  const [partitions, setPartitions] = useState('1');
  const [retentionHours, setRetentionHours] = useState('168');
  const [error, setError] = useState<unknown>();
  return (
    <form
      class="inline-form"
      aria-label="create a topic"
      onSubmit={async (e) => {
        e.preventDefault();
        setError(undefined);
        try {
          const hours = Number(retentionHours);
          await api.post(path('topics'), {
            name: name.trim(),
            partitions: Number(partitions),
            config: { retentionMs: hours < 0 ? -1 : Math.round(hours * 3_600_000) },
          });
          onCreated(name.trim());
          setName('');
        } catch (failure) {
          setError(failure);
        }
      }}
    >
      <h2>Create a topic</h2>
      <label>
        name <input name="name" required value={name} onInput={(e) => setName(e.currentTarget.value)} />
      </label>
      <label>
        partitions <input name="partitions" type="number" min="1" max="1000" value={partitions} onInput={(e) => setPartitions(e.currentTarget.value)} />
      </label>
      <label>
        retention (hours, -1 forever) <input name="retention" type="number" min="-1" step="any" value={retentionHours} onInput={(e) => setRetentionHours(e.currentTarget.value)} />
      </label>
      <button type="submit">create</button>
      <ErrorBox error={error} action="create this topic (it needs admin on the topic)" />
    </form>
  );
}

export function TopicsScreen({ api }: { api: Api }) {
  const list = useLoad(() => api.get<TopicList>(path('topics')), [api]);
  const [filter, setFilter] = useState('');
  const [deleting, setDeleting] = useState<string | undefined>();
  const [actionError, setActionError] = useState<unknown>();
  const [notice, setNotice] = useState<string | undefined>();
  const topics = (list.data?.topics ?? []).filter((t) => t.name.toLowerCase().includes(filter.toLowerCase()));
  return (
    <section>
      <h1>Topics</h1>
      <CreateTopic
        api={api}
        onCreated={(name) => {
          setNotice(`topic ${name} created`);
          list.reload();
        }}
      />
      {notice && <p role="status">{notice}</p>}
      <label class="filter">
        filter <input type="search" value={filter} onInput={(e) => setFilter(e.currentTarget.value)} />
      </label>
      <ErrorBox error={list.error} action="list topics" />
      <ErrorBox error={actionError} action="delete this topic (it needs admin on the topic)" />
      {list.loading && !list.data && <p>loading…</p>}
      {list.data && (
        <table>
          <thead>
            <tr>
              <th>topic</th>
              <th>partitions</th>
              <th>actions</th>
            </tr>
          </thead>
          <tbody>
            {topics.map((t) => (
              <tr key={t.name}>
                <td>
                  <a href={href('topics', t.name)}>{t.name}</a>
                </td>
                <td>{t.partitions}</td>
                <td>
                  <a href={`${href('messages')}?topic=${encodeURIComponent(t.name)}`}>messages</a>{' '}
                  <a href={`${href('produce')}?topic=${encodeURIComponent(t.name)}`}>produce</a>{' '}
                  {deleting === t.name ? (
                    <TypedConfirm
                      expected={t.name}
                      label={`type ${t.name} to delete it`}
                      action="delete topic"
                      onCancel={() => setDeleting(undefined)}
                      onConfirm={async () => {
                        setActionError(undefined);
                        try {
                          await api.del(path('topics', t.name));
                          setNotice(`topic ${t.name} deleted`);
                          setDeleting(undefined);
                          list.reload();
                        } catch (failure) {
                          setActionError(failure);
                        }
                      }}
                    />
                  ) : (
                    <button type="button" class="danger" onClick={() => setDeleting(t.name)}>
                      delete…
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {list.data && topics.length === 0 && <p>{filter ? 'no topic matches the filter' : 'no topics yet'}</p>}
    </section>
  );
}
