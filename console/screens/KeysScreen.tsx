/** API keys: list, create (the secret is shown once, with a copy button), revoke after confirming. */
import { useState } from 'preact/hooks';
import { path, type Api } from '../api.js';
import { TypedConfirm } from '../components/Confirm.js';
import { CopyButton } from '../components/CopyButton.js';
import { ErrorBox } from '../components/ErrorBox.js';
import { formatTime } from '../components/format.js';
import { useLoad } from '../components/useLoad.js';
import type { ApiKey } from './types.js';

const OPERATIONS = ['read', 'write', 'describe', 'admin'] as const;

export function KeysScreen({ api }: { api: Api }) {
  const list = useLoad(() => api.get<{ keys: ApiKey[] }>(path('keys')), [api]);
  const [principal, setPrincipal] = useState('');
  const [resource, setResource] = useState('topic:*');
  const [operations, setOperations] = useState<string[]>(['read']);
  const [created, setCreated] = useState<{ keyId: string; secret: string } | undefined>();
  const [revoking, setRevoking] = useState<string | undefined>();
  const [error, setError] = useState<unknown>();
  return (
    <section>
      <h1>API keys</h1>
      <ErrorBox error={list.error} action="list keys (it needs admin on cluster)" />
      <form
        class="inline-form"
        aria-label="create a key"
        onSubmit={async (e) => {
          e.preventDefault();
          setError(undefined);
          try {
            const answer = await api.post<{ keyId: string; secret: string }>(path('keys'), {
              principal: principal.trim(),
              permissions: [{ resource: resource.trim(), operations }],
            });
            setCreated({ keyId: answer.keyId, secret: answer.secret });
            list.reload();
          } catch (failure) {
            setError(failure);
          }
        }}
      >
        <h2>Create a key</h2>
        <label>
          principal <input name="principal" required value={principal} onInput={(e) => setPrincipal(e.currentTarget.value)} />
        </label>
        <label>
          resource <input name="resource" required value={resource} onInput={(e) => setResource(e.currentTarget.value)} />
        </label>
        <fieldset>
          <legend>operations</legend>
          {OPERATIONS.map((op) => (
            <label key={op} class="check">
              <input
                type="checkbox"
                name={`op-${op}`}
                checked={operations.includes(op)}
                onChange={(e) => setOperations((ops) => (e.currentTarget.checked ? [...ops, op] : ops.filter((o) => o !== op)))}
              />
              {op}
            </label>
          ))}
        </fieldset>
        <button type="submit">create key</button>
      </form>
      <ErrorBox error={error} action="manage keys (it needs admin on cluster)" />
      {created && (
        <div class="secret" role="status">
          <p>
            Key <code>{created.keyId}</code> created. Its secret is shown this once:
          </p>
          <code class="wrap">{created.secret}</code> <CopyButton text={created.secret} label="copy secret" />{' '}
          <button type="button" onClick={() => setCreated(undefined)}>
            done
          </button>
        </div>
      )}
      {list.data && (
        <table>
          <thead>
            <tr>
              <th>key id</th>
              <th>principal</th>
              <th>permissions</th>
              <th>created</th>
              <th>expires</th>
              <th>actions</th>
            </tr>
          </thead>
          <tbody>
            {list.data.keys.map((k) => (
              <tr key={k.keyId}>
                <td>
                  <code>{k.keyId}</code>
                </td>
                <td>{k.principal}</td>
                <td>{k.permissions.map((p) => `${p.resource}: ${p.operations.join(', ')}`).join('; ')}</td>
                <td>{formatTime(k.createdAt)}</td>
                <td>{k.expiresAt === null ? 'never' : formatTime(k.expiresAt)}</td>
                <td>
                  {revoking === k.keyId ? (
                    <TypedConfirm
                      expected={k.keyId}
                      label={`type ${k.keyId} to revoke it`}
                      action="revoke key"
                      onCancel={() => setRevoking(undefined)}
                      onConfirm={async () => {
                        setError(undefined);
                        try {
                          await api.del(path('keys', k.keyId));
                          setRevoking(undefined);
                          list.reload();
                        } catch (failure) {
                          setError(failure);
                        }
                      }}
                    />
                  ) : (
                    <button type="button" class="danger" onClick={() => setRevoking(k.keyId)}>
                      revoke…
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
