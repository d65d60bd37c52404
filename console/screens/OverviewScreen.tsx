/** Overview: counts, then groups with lag and failing subscriptions first. */
import { path, type Api } from '../api.js';
import { ErrorBox } from '../components/ErrorBox.js';
import { useLoad } from '../components/useLoad.js';
import { href } from '../router.js';
import type { GroupDescription, GroupSummary, Subscription } from './types.js';

interface Overview {
  topics: number;
  groups: { group: string; state: string; lag: number }[];
  subscriptions: { name: string; topic: string; state: string; lag: number; failing: boolean; lastError: string | null }[];
  errors: unknown[];
}

async function loadOverview(api: Api): Promise<Overview> {
  const errors: unknown[] = [];
  const settle = <T,>(promise: Promise<T>, fallback: T) => promise.catch((error: unknown) => (errors.push(error), fallback));
  const [topics, groups, subscriptions] = await Promise.all([
    settle(api.get<{ topics: unknown[] }>(path('topics')), { topics: [] }),
    settle(api.get<{ groups: GroupSummary[] }>(path('groups')), { groups: [] }),
    settle(api.get<{ subscriptions: Subscription[] }>(path('subscriptions')), { subscriptions: [] }),
  ]);
  const groupRows = await Promise.all(
    groups.groups.map(async (g) => {
      const d = await settle(api.get<GroupDescription>(path('groups', g.group)), undefined);
      return { group: g.group, state: g.state, lag: d ? d.offsets.reduce((sum, o) => sum + o.lag, 0) : 0 };
    }),
  );
  const subscriptionRows = await Promise.all(
    subscriptions.subscriptions.map(async (s) => {
      const d = await settle(api.get<Subscription>(path('subscriptions', s.name)), undefined);
      const parts = d?.partitions ?? [];
      const lastError = parts.find((p) => p.lastError)?.lastError ?? null;
      return {
        name: s.name,
        topic: s.topic,
        state: s.state,
        lag: parts.reduce((sum, p) => sum + p.lag, 0),
        failing: parts.some((p) => p.attempts > 0 || p.lastError !== null),
        lastError,
      };
    }),
  );
  groupRows.sort((a, b) => b.lag - a.lag || a.group.localeCompare(b.group));
  subscriptionRows.sort((a, b) => Number(b.failing) - Number(a.failing) || b.lag - a.lag || a.name.localeCompare(b.name));
  return { topics: topics.topics.length, groups: groupRows, subscriptions: subscriptionRows, errors };
}

export function OverviewScreen({ api }: { api: Api }) {
  const overview = useLoad(() => loadOverview(api), [api]);
  const data = overview.data;
  return (
    <section>
      <h1>Overview</h1>
      <ErrorBox error={overview.error} action="read the overview" />
      {data?.errors.map((e, i) => <ErrorBox key={i} error={e} action="read all of the overview" />)}
      {overview.loading && !data && <p>loading…</p>}
      {data && (
        <>
          <ul class="counts">
            <li>
              <a href={href('topics')}>
                <strong>{data.topics}</strong> topics
              </a>
            </li>
            <li>
              <a href={href('groups')}>
                <strong>{data.groups.length}</strong> groups
              </a>
            </li>
            <li>
              <a href={href('subscriptions')}>
                <strong>{data.subscriptions.length}</strong> subscriptions
              </a>
            </li>
          </ul>
          <h2>Groups, most lag first</h2>
          {data.groups.length === 0 ? (
            <p>no groups</p>
          ) : (
            <table>
              <thead>
                <tr>
                  <th>group</th>
                  <th>state</th>
                  <th>lag</th>
                </tr>
              </thead>
              <tbody>
                {data.groups.map((g) => (
                  <tr key={g.group} class={g.lag > 0 ? 'warn' : ''}>
                    <td>
                      <a href={href('groups', g.group)}>{g.group}</a>
                    </td>
                    <td>{g.state}</td>
                    <td>{g.lag}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <h2>Subscriptions, failing first</h2>
          {data.subscriptions.length === 0 ? (
            <p>no subscriptions</p>
          ) : (
            <table>
              <thead>
                <tr>
                  <th>subscription</th>
                  <th>topic</th>
                  <th>state</th>
                  <th>lag</th>
                  <th>last error</th>
                </tr>
              </thead>
              <tbody>
                {data.subscriptions.map((s) => (
                  <tr key={s.name} class={s.failing ? 'bad' : ''}>
                    <td>
                      <a href={href('subscriptions', s.name)}>{s.name}</a>
                    </td>
                    <td>{s.topic}</td>
                    <td>{s.state}</td>
                    <td>{s.lag}</td>
                    <td>{s.lastError ?? (s.failing ? 'retrying' : '')}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </section>
  );
}
