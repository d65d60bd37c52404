/** Copies a text to the clipboard and says so. */
import { useState } from 'preact/hooks';

export function CopyButton({ text, label = 'copy' }: { text: string; label?: string }) {
  const [done, setDone] = useState<string | undefined>();
  return (
    <button
      type="button"
      onClick={() =>
        navigator.clipboard.writeText(text).then(
          () => setDone('copied'),
          () => setDone('copy failed: select the text and copy it'),
        )
      }
    >
      {done ?? label}
    </button>
  );
}
