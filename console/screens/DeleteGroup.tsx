/** Deletes a consumer group and its committed offsets (`DELETE /v1/groups/{group}`) once its name is typed; a group with live members answers `409 GROUP_NOT_EMPTY`, shown here. */
import { useState } from 'preact/hooks';
import { path, type Api } from '../api.js';
import { TypedConfirm } from '../components/Confirm.js';
import { ErrorBox } from '../components/ErrorBox.js';

export function DeleteGroup({ api, group, onDeleted }: { api: Api; group: string; onDeleted: () => void }) {
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<unknown>();
  return (
    <div class="delete-group">
      <h2>Delete the group</h2>
      <p class="muted">Removes the group and its committed offsets; refused while it has live members.</p>
      {confirming ? (
        <TypedConfirm
          expected={group}
          label={`type ${group} to delete it`}
          action="delete group"
          onCancel={() => setConfirming(false)}
          onConfirm={async () => {
            setError(undefined);
            try {
              await api.del(path('groups', group));
              onDeleted();
            } catch (failure) {
              setError(failure);
            }
          }}
        />
      ) : (
        <button type="button" class="danger" onClick={() => setConfirming(true)}>
          delete…
        </button>
      )}
      <ErrorBox error={error} action={`delete group ${group}`} />
    </div>
  );
}
