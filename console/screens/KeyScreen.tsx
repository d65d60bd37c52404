/** Paste an API key: checked with GET /v1/topics, then kept in sessionStorage. */
import { useState } from 'preact/hooks';
import { createApi } from '../api.js';
import { ErrorBox } from '../components/ErrorBox.js';

export function KeyScreen({ onKey }: { onKey: (key: string) => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  return (
    <main class="narrow">
      <h1>Brook Console</h1>
      <p>
        Paste an API key. It is kept in this tab's session storage only, sent as a bearer token to this Brook, and forgotten when the tab closes or you sign out.
      </p>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          const trimmed = key.trim();
          if (trimmed === '') return;
          setBusy(true);
          setError(undefined);
          try {
            await createApi(trimmed).get('/v1/topics');
            onKey(trimmed);
          } catch (failure) {
            setError(failure);
          } finally {
            setBusy(false);
          }
        }}
      >
        <label for="api-key">API key</label>
        <input id="api-key" type="password" autoComplete="off" spellcheck={false} value={key} onInput={(e) => setKey(e.currentTarget.value)} placeholder="brook_..." />
        <button type="submit" disabled={busy}>
          {busy ? 'checking…' : 'use this key'}
        </button>
      </form>
      <ErrorBox error={error} action="list topics" signedIn={false} />
    </main>
  );
}
