/** Consumer groups: the list, and one group's members (assignments, lease expiry) and lag per partition. */
import { path, type Api } from '../api.js';
import { ErrorBox } from '../components/ErrorBox.js';
import { formatTime } from '../components/format.js';
import { useLoad } from '../components/useLoad.js';
import { href } from '../router.js';
import type { GroupDescription, GroupSummary } from './types.js';

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
        </>
      )}
    </section>
  );
}
