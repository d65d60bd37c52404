/** An API error in place: its code and message; a 403 says plainly what the key may not do. */
import { ApiError } from '../api.js';

/** `signedIn`: a 401 then means the key stopped working (revoked, expired), so it says to sign out. */
export function ErrorBox({ error, action, signedIn = true }: { error: unknown; action?: string; signedIn?: boolean }) {
  if (error === undefined || error === null) return null;
  const code = error instanceof ApiError ? error.code : 'ERROR';
  const message = error instanceof Error ? error.message : String(error);
  return (
    <div class="error" role="alert">
      {code === 'FORBIDDEN' && <strong class="forbidden">forbidden: this key may not {action ?? 'do this'}. </strong>}
      <code>{code}</code> {message}
      {code === 'UNAUTHENTICATED' && signedIn && <span> (sign out and paste a valid key)</span>}
    </div>
  );
}
