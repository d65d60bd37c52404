/**
 * Consumer groups: the list, and one group's members (assignments, lease
 * expiry), lag per partition with a chart of it while the page is open, and
 * offset resets (a dry run first, then apply), and deleting the group.
 */
import { useEffect, useState } from 'preact/hooks';
import { ApiError, path, type Api } from '../api.js';
import { ErrorBox } from '../components/ErrorBox.js';
import { formatTime } from '../components/format.js';
import { LagChart, MAX_SAMPLES, type LagSample } from '../components/LagChart.js';
import { useLoad } from '../components/useLoad.js';
import { href, navigate } from '../router.js';
import { DeleteGroup } from './DeleteGroup.js';
import type { GroupDescription, GroupSummary, OffsetReset, ResetTarget } from './types.js';

/** How often an open group page describes the group again. */
export const GROUP_POLL_MS = 3000;

export function GroupsScreen({ api }: { api: Api }) {
  const list = useLoad(() => api.get<{ groups: GroupSummary[] }>(path('groups')), [api]);
  return (
    <section>
      <h1>Consumer groups</h1>
      <ErrorBox error={list.error} action="list groups" />
      {list.data && list.data.groups.length === 0 && <p>no groups yet</p>}
      {list.data && list.data.groups.length > 0 && (
        <table>
          <thead>
            <tr>
              <th>group</th>
              <th>state</th>
              <th>live members</th>
            </tr>
          </thead>
          <tbody>
            {list.data.groups.map((g) => (
              <tr key={g.group}>
                <td>
                  <a href={href('groups', g.group)}>{g.group}</a>
                </td>
                <td>{g.state}</td>
                <td>{g.members}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

export function GroupScreen({ api, name }: { api: Api; name: string }) {
  const group = useLoad(() => api.get<GroupDescription>(path('groups', name)), [api, name]);
  const g = group.data;
  const [samples, setSamples] = useState<LagSample[]>([]);
  const { reload } = group;
  useEffect(() => {
    setSamples([]);
    const timer = setInterval(reload, GROUP_POLL_MS);
    return () => clearInterval(timer);
  }, [api, name, reload]);
  useEffect(() => {
    if (!g) return;
    const lag = Object.fromEntries(g.offsets.map((o) => [`${o.topic}/${o.partition}`, o.lag]));
    setSamples((all) => [...all.slice(-(MAX_SAMPLES - 1)), { at: Date.now(), lag }]);
  }, [g]);
  const totalLag = g ? g.offsets.reduce((sum, o) => sum + o.lag, 0) : 0;
  return (
    <section>
      <p>
        <a href={href('groups')}>← groups</a>
      </p>
      <h1>Group {name}</h1>
      <ErrorBox error={group.error} action={`describe group ${name}`} />
      {g && (
        <>
          <p>
            state <strong>{g.state}</strong>, generation {g.generation}
          </p>
          <h2>Members</h2>
          {g.members.length === 0 ? (
            <p>no live members</p>
          ) : (
            <table>
              <thead>
                <tr>
                  <th>member</th>
                  <th>client</th>
                  <th>assignment</th>
                  <th>lease expires</th>
                </tr>
              </thead>
              <tbody>
                {g.members.map((m) => (
                  <tr key={m.memberId}>
                    <td>
                      <code>{m.memberId}</code>
                      {m.instanceId && <div class="muted">static: {m.instanceId}</div>}
                    </td>
                    <td>{m.clientId ?? '—'}</td>
                    <td>{m.assignment.map((a) => `${a.topic} [${a.partitions.join(', ')}]`).join('; ') || 'none'}</td>
                    <td>{formatTime(m.expiresAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <h2>Offsets and lag</h2>
          <p>
            total lag <strong class="total-lag" data-lag={totalLag}>{totalLag}</strong>{' '}
            <span class="muted">(described again every {GROUP_POLL_MS / 1000} s while this page is open)</span>
          </p>
          <LagChart samples={samples} />
          <table>
            <thead>
              <tr>
                <th>topic</th>
                <th>partition</th>
                <th>committed</th>
                <th>high watermark</th>
                <th>lag</th>
              </tr>
            </thead>
            <tbody>
              {g.offsets.map((o) => (
                <tr key={`${o.topic}/${o.partition}`} class={o.lag > 0 ? 'warn' : ''}>
                  <td>{o.topic}</td>
                  <td>{o.partition}</td>
                  <td>{o.offset}</td>
                  <td>{o.highWatermark}</td>
                  <td>{o.lag}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <ResetOffsets api={api} group={name} topics={[...new Set(g.offsets.map((o) => o.topic))]} onApplied={reload} />
          <DeleteGroup api={api} group={name} onDeleted={() => navigate(href('groups'))} />
        </>
      )}
    </section>
  );
}

type ResetMode = 'earliest' | 'latest' | 'offset' | 'timestamp' | 'shiftBy';

/** The request a reset form describes, or a message saying what is wrong with it. */
function resetRequest(topic: string, partitions: string, mode: ResetMode, value: string): { topic: string; partitions?: number[]; to: ResetTarget } | string {
  if (topic.trim() === '') return 'name a topic';
  const list = partitions.split(/[\s,]+/).filter((p) => p !== '');
  if (list.some((p) => !/^\d+$/.test(p))) return 'partitions: whole numbers separated by commas';
  let to: ResetTarget;
  if (mode === 'earliest' || mode === 'latest') to = mode;
  else if (mode === 'timestamp') {
    const at = Date.parse(value);
    if (Number.isNaN(at)) return 'give a date and time';
    to = { timestamp: at };
  } else {
    if (!/^-?\d+$/.test(value.trim())) return `${mode === 'offset' ? 'offset' : 'shift'}: a whole number`;
    to = mode === 'offset' ? { offset: Number(value) } : { shiftBy: Number(value) };
  }
  return { topic: topic.trim(), ...(list.length > 0 ? { partitions: list.map(Number) } : {}), to };
}

function ResetOffsets({ api, group, topics, onApplied }: { api: Api; group: string; topics: string[]; onApplied: () => void }) {
  const [topic, setTopic] = useState(topics[0] ?? '');
  const [partitions, setPartitions] = useState('');
  const [mode, setMode] = useState<ResetMode>('earliest');
  const [value, setValue] = useState('');
  const [plan, setPlan] = useState<OffsetReset[] | undefined>();
  const [applied, setApplied] = useState(false);
  const [error, setError] = useState<unknown>();
  const request = resetRequest(topic, partitions, mode, value);
  const edit = <T,>(set: (v: T) => void) => (v: T) => {
    set(v);
    setPlan(undefined);
    setApplied(false);
  };
  const send = async (dryRun: boolean) => {
    if (typeof request === 'string') return;
    setError(undefined);
    try {
      const { offsets } = await api.post<{ offsets: OffsetReset[] }>(path('groups', group, 'offsets', 'reset'), { ...request, dryRun });
      setPlan(offsets);
      setApplied(!dryRun);
      if (!dryRun) onApplied();
    } catch (failure) {
      setError(failure);
    }
  };
  return (
    <form
      class="inline-form"
      aria-label="reset offsets"
      onSubmit={(e) => {
        e.preventDefault();
        void send(true);
      }}
    >
      <h2>Reset offsets</h2>
      <label>
        topic <input name="topic" list="group-topics" required value={topic} onInput={(e) => edit(setTopic)(e.currentTarget.value)} />
        <datalist id="group-topics">
          {topics.map((t) => (
            <option key={t} value={t} />
          ))}
        </datalist>
      </label>
      <label>
        partitions (blank: all) <input name="partitions" placeholder="0, 2" value={partitions} onInput={(e) => edit(setPartitions)(e.currentTarget.value)} />
      </label>
      <label>
        to{' '}
        <select name="to" value={mode} onChange={(e) => edit(setMode)(e.currentTarget.value as ResetMode)}>
          <option value="earliest">earliest</option>
          <option value="latest">latest</option>
          <option value="offset">offset</option>
          <option value="timestamp">timestamp</option>
          <option value="shiftBy">shift by</option>
        </select>
      </label>
      {mode !== 'earliest' && mode !== 'latest' && (
        <label>
          {mode === 'timestamp' ? 'time' : mode === 'offset' ? 'offset' : 'shift (+/-)'}{' '}
          <input
            name="value"
            type={mode === 'timestamp' ? 'datetime-local' : 'number'}
            step={mode === 'timestamp' ? '1' : undefined}
            value={value}
            onInput={(e) => edit(setValue)(e.currentTarget.value)}
          />
        </label>
      )}
      <button type="submit" disabled={typeof request === 'string'}>
        dry run
      </button>
      {typeof request === 'string' && <span class="muted">{request}</span>}
      {error instanceof ApiError && error.code === 'GROUP_NOT_EMPTY' && (
        <p class="muted">The group has live members: stop its consumers (or wait for their sessions to expire), then reset.</p>
      )}
      <ErrorBox error={error} action="reset this group's offsets (it needs admin on the group)" />
      {plan && (
        <div class="reset-plan">
          <p>{applied ? <strong role="status">applied: the group's offsets are now</strong> : 'dry run: nothing changed yet. The plan:'}</p>
          <table>
            <thead>
              <tr>
                <th>topic</th>
                <th>partition</th>
                <th>before</th>
                <th>after</th>
              </tr>
            </thead>
            <tbody>
              {plan.map((o) => (
                <tr key={`${o.topic}/${o.partition}`} data-partition={o.partition}>
                  <td>{o.topic}</td>
                  <td>{o.partition}</td>
                  <td>{o.before ?? '—'}</td>
                  <td>{o.after}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {!applied && (
            <button type="button" class="danger" onClick={() => void send(false)}>
              apply
            </button>
          )}
        </div>
      )}
    </form>
  );
}
