/**
 * Subscriptions: the list with a create form (a webhook's secret shown once),
 * and one subscription's partitions, with pause, resume, reset and delete.
 */
import { useState } from 'preact/hooks';
import { path, type Api } from '../api.js';
import { TypedConfirm } from '../components/Confirm.js';
import { CopyButton } from '../components/CopyButton.js';
import { ErrorBox } from '../components/ErrorBox.js';
import { formatTime } from '../components/format.js';
import { useLoad } from '../components/useLoad.js';
import { href, navigate } from '../router.js';
import type { CreatedSubscription, Subscription } from './types.js';

function targetOf(s: Subscription): string {
  return s.target.type === 'http' ? s.target.url : s.target.functionArn;
}

export function SubscriptionsScreen({ api }: { api: Api }) {
  const list = useLoad(() => api.get<{ subscriptions: Subscription[] }>(path('subscriptions')), [api]);
  return (
    <section>
      <h1>Subscriptions</h1>
      <CreateSubscription api={api} onCreated={list.reload} />
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

function CreateSubscription({ api, onCreated }: { api: Api; onCreated: () => void }) {
  const [name, setName] = useState('');
  const [topic, setTopic] = useState('');
  const [kind, setKind] = useState<'http' | 'lambda'>('http');
  const [target, setTarget] = useState('');
  const [batchSize, setBatchSize] = useState('100');
  const [startAt, setStartAt] = useState<'earliest' | 'latest'>('latest');
  const [onFailure, setOnFailure] = useState('');
  const [created, setCreated] = useState<CreatedSubscription | undefined>();
  const [error, setError] = useState<unknown>();
  const secret = created?.target.secret;
  return (
    <>
      <form
        class="inline-form"
        aria-label="create a subscription"
        onSubmit={async (e) => {
          e.preventDefault();
          setError(undefined);
          setCreated(undefined);
          try {
            const answer = await api.post<CreatedSubscription>(path('subscriptions'), {
              name: name.trim(),
              topic: topic.trim(),
              target: kind === 'http' ? { type: 'http', url: target.trim() } : { type: 'lambda', functionArn: target.trim() },
              batchSize: Number(batchSize),
              startAt,
              ...(onFailure.trim() !== '' ? { onFailure: { topic: onFailure.trim() } } : {}),
            });
            setCreated(answer);
            setName('');
            onCreated();
          } catch (failure) {
            setError(failure);
          }
        }}
      >
        <h2>Create a subscription</h2>
        <label>
          name <input name="name" required value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <label>
          topic <input name="topic" required value={topic} onInput={(e) => setTopic(e.currentTarget.value)} />
        </label>
        <label>
          target{' '}
          <select name="kind" value={kind} onChange={(e) => setKind(e.currentTarget.value as 'http' | 'lambda')}>
            <option value="http">webhook URL</option>
            <option value="lambda">Lambda ARN</option>
          </select>
        </label>
        <label>
          {kind === 'http' ? 'URL' : 'function ARN'}{' '}
          <input
            name="target"
            required
            placeholder={kind === 'http' ? 'https://example.com/hook' : 'arn:aws:lambda:…'}
            value={target}
            onInput={(e) => setTarget(e.currentTarget.value)}
          />
        </label>
        <label>
          batch size <input name="batchSize" type="number" min="1" max="10000" value={batchSize} onInput={(e) => setBatchSize(e.currentTarget.value)} />
        </label>
        <label>
          start at{' '}
          <select name="startAt" value={startAt} onChange={(e) => setStartAt(e.currentTarget.value as 'earliest' | 'latest')}>
            <option value="latest">latest</option>
            <option value="earliest">earliest</option>
          </select>
        </label>
        <label>
          on failure, park on topic <input name="onFailure" placeholder="(drop)" value={onFailure} onInput={(e) => setOnFailure(e.currentTarget.value)} />
        </label>
        <button type="submit">create subscription</button>
        <ErrorBox error={error} action="create this subscription (it needs admin on the topic)" />
      </form>
      {created && (
        <div class="secret" role="status">
          <p>
            Subscription <a href={href('subscriptions', created.name)}>{created.name}</a> created.
            {secret ? ' Its webhook signing secret is shown this once:' : ''}
          </p>
          {secret && (
            <>
              <code class="wrap">{secret}</code> <CopyButton text={secret} label="copy secret" />{' '}
            </>
          )}
          <button type="button" onClick={() => setCreated(undefined)}>
            done
          </button>
        </div>
      )}
    </>
  );
}

function ResetSubscription({ api, name, onReset }: { api: Api; name: string; onReset: () => void }) {
  const [to, setTo] = useState<'earliest' | 'latest' | 'offset'>('latest');
  const [offset, setOffset] = useState('0');
  const [partitions, setPartitions] = useState('');
  const [notice, setNotice] = useState<string | undefined>();
  const [error, setError] = useState<unknown>();
  return (
    <form
      class="inline-form"
      aria-label="reset the subscription"
      onSubmit={async (e) => {
        e.preventDefault();
        setError(undefined);
        setNotice(undefined);
        const list = partitions.split(/[\s,]+/).filter((p) => p !== '').map(Number);
        try {
          await api.post(path('subscriptions', name, 'reset'), {
            to: to === 'offset' ? { offset: Number(offset) } : to,
            ...(list.length > 0 ? { partitions: list } : {}),
          });
          setNotice('reset');
          onReset();
        } catch (failure) {
          setError(failure);
        }
      }}
    >
      <h2>Reset</h2>
      <label>
        to{' '}
        <select name="to" value={to} onChange={(e) => setTo(e.currentTarget.value as 'earliest' | 'latest' | 'offset')}>
          <option value="latest">latest</option>
          <option value="earliest">earliest</option>
          <option value="offset">offset</option>
        </select>
      </label>
      {to === 'offset' && (
        <label>
          offset <input name="offset" type="number" min="0" value={offset} onInput={(e) => setOffset(e.currentTarget.value)} />
        </label>
      )}
      <label>
        partitions (blank: all) <input name="partitions" placeholder="0, 2" value={partitions} onInput={(e) => setPartitions(e.currentTarget.value)} />
      </label>
      <button type="submit">reset</button>
      {notice && <span role="status">{notice}</span>}
      <ErrorBox error={error} action="reset this subscription (it needs admin on its topic)" />
    </form>
  );
}

export function SubscriptionScreen({ api, name }: { api: Api; name: string }) {
  const sub = useLoad(() => api.get<Subscription>(path('subscriptions', name)), [api, name]);
  const [error, setError] = useState<unknown>();
  const [deleting, setDeleting] = useState(false);
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
      <ErrorBox error={error} action={`change subscription ${name} (it needs admin on its topic)`} />
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
          )}{' '}
          {deleting ? (
            <TypedConfirm
              expected={name}
              label={`type ${name} to delete it`}
              action="delete subscription"
              onCancel={() => setDeleting(false)}
              onConfirm={async () => {
                setError(undefined);
                try {
                  await api.del(path('subscriptions', name));
                  navigate(href('subscriptions'));
                } catch (failure) {
                  setError(failure);
                }
              }}
            />
          ) : (
            <button type="button" class="danger" onClick={() => setDeleting(true)}>
              delete…
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
          <ResetSubscription api={api} name={name} onReset={sub.reload} />
        </>
      )}
    </section>
  );
}
