/** Subscriptions: the list, and one subscription's partitions, with pause and resume. */
import { useState } from 'preact/hooks';
import { path, type Api } from '../api.js';
import { ErrorBox } from '../components/ErrorBox.js';
import { formatTime } from '../components/format.js';
import { useLoad } from '../components/useLoad.js';
import { href } from '../router.js';
import type { Subscription } from './types.js';

function targetOf(s: Subscription): string {
  return s.target.type === 'http' ? s.target.url : s.target.functionArn;
}

export function SubscriptionsScreen({ api }: { api: Api }) {
  const list = useLoad(() => api.get<{ subscriptions: Subscription[] }>(path('subscriptions')), [api]);
  return (
    <section>
      <h1>Subscriptions</h1>
      <ErrorBox error={list.error} action="list subscriptions" />
      {list.data && list.data.subscriptions.length === 0 && <p>no subscriptions yet</p>}
      {list.data && list.data.subscriptions.length > 0 && (
        <table>
          <thead>
            <tr>
              <th>subscription</th>
              <th>topic</th>
              <th>target</th>
              <th>state</th>
            </tr>
          </thead>
          <tbody>
            {list.data.subscriptions.map((s) => (
              <tr key={s.name}>
                <td>
                  <a href={href('subscriptions', s.name)}>{s.name}</a>
                </td>
                <td>{s.topic}</td>
                <td class="wrap">{targetOf(s)}</td>
                <td>{s.state}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

export function SubscriptionScreen({ api, name }: { api: Api; name: string }) {
  const sub = useLoad(() => api.get<Subscription>(path('subscriptions', name)), [api, name]);
  const [error, setError] = useState<unknown>();
  const s = sub.data;
  const setState = async (state: 'active' | 'paused') => {
    setError(undefined);
    try {
      await api.patch(path('subscriptions', name), { state });
      sub.reload();
    } catch (failure) {
      setError(failure);
    }
  };
  return (
    <section>
      <p>
        <a href={href('subscriptions')}>← subscriptions</a>
      </p>
      <h1>Subscription {name}</h1>
      <ErrorBox error={sub.error} action={`describe subscription ${name}`} />
      <ErrorBox error={error} action={`pause or resume subscription ${name} (it needs admin on its topic)`} />
      {s && (
        <>
          <dl class="facts">
            <dt>topic</dt>
            <dd>{s.topic}</dd>
            <dt>target</dt>
            <dd class="wrap">
              {s.target.type}: {targetOf(s)}
            </dd>
            <dt>state</dt>
            <dd>{s.state}</dd>
            <dt>batch size</dt>
            <dd>{s.batchSize}</dd>
            <dt>max retries</dt>
            <dd>{s.maxRetries < 0 ? 'until delivered' : s.maxRetries}</dd>
            <dt>on failure</dt>
            <dd>{s.onFailure ? `park on ${s.onFailure.topic}` : 'drop'}</dd>
          </dl>
          {s.state === 'active' ? (
            <button type="button" onClick={() => setState('paused')}>
              pause
            </button>
          ) : (
            <button type="button" onClick={() => setState('active')}>
              resume
            </button>
          )}
          <table>
            <thead>
              <tr>
                <th>partition</th>
                <th>position</th>
                <th>lag</th>
                <th>attempts</th>
                <th>last error</th>
                <th>last delivered</th>
                <th>parked</th>
                <th>dropped</th>
              </tr>
            </thead>
            <tbody>
              {(s.partitions ?? []).map((p) => (
                <tr key={p.partition} class={p.attempts > 0 || p.lastError ? 'bad' : ''}>
                  <td>{p.partition}</td>
                  <td>{p.position}</td>
                  <td>{p.lag}</td>
                  <td>{p.attempts}</td>
                  <td class="wrap">{p.lastError ?? ''}</td>
                  <td>{formatTime(p.lastDeliveredAt)}</td>
                  <td>{p.parked}</td>
                  <td>{p.dropped}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
