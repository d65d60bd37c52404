/** A confirmation in place: the action runs only once `expected` is typed exactly. */
import { useState } from 'preact/hooks';

export function TypedConfirm(props: { expected: string; label: string; action: string; onConfirm: () => void; onCancel: () => void }) {
  const [typed, setTyped] = useState('');
  const id = `confirm-${props.action.replace(/\W+/g, '-')}`;
  return (
    <form
      class="confirm"
      onSubmit={(e) => {
        e.preventDefault();
        if (typed === props.expected) props.onConfirm();
      }}
    >
      <label for={id}>{props.label}</label>
      <input id={id} value={typed} autoFocus autoComplete="off" onInput={(e) => setTyped(e.currentTarget.value)} />
      <button type="submit" class="danger" disabled={typed !== props.expected}>
        {props.action}
      </button>
      <button type="button" onClick={props.onCancel}>
        cancel
      </button>
    </form>
  );
}
