/** Record bytes as the console shows them: fetched in base64 (exact), shown as text, pretty JSON, hex or base64. */
export type ValueView = 'text' | 'json' | 'hex' | 'base64';

/** Views that show the bytes themselves (key and header values too), never decoded text. */
export function isByteView(view: ValueView): boolean {
  return view === 'hex' || view === 'base64';
}

export function base64ToBytes(value: string): Uint8Array {
  const binary = atob(value);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Two lower-case hex digits a byte, space between bytes: `7b 22`. */
export function bytesToHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}

/** Base64 bytes in a byte view (hex or base64); null stays null. */
export function showBytes(base64: string | null, view: 'hex' | 'base64'): string | null {
  if (base64 === null) return null;
  return view === 'hex' ? bytesToHex(base64ToBytes(base64)) : base64;
}

/** The bytes as UTF-8 text; undefined when they are not valid UTF-8. */
export function utf8OrUndefined(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/** Text for display and filtering: UTF-8 when it is, else the replacement-character decoding. */
export function lenientText(base64: string | null): string | null {
  if (base64 === null) return null;
  const bytes = base64ToBytes(base64);
  return utf8OrUndefined(bytes) ?? new TextDecoder().decode(bytes);
}

/** A value shown in `view`; JSON that does not parse falls back to text, with a note. */
export function renderValue(base64: string | null, view: ValueView): { text: string; note?: string } {
  if (base64 === null) return { text: '', note: 'null (tombstone)' };
  if (view === 'base64' || view === 'hex') return { text: showBytes(base64, view)! };
  const bytes = base64ToBytes(base64);
  const text = utf8OrUndefined(bytes);
  if (text === undefined) return { text: base64, note: 'not UTF-8: shown in base64' };
  if (view === 'json') {
    try {
      return { text: JSON.stringify(JSON.parse(text), null, 2) };
    } catch {
      return { text, note: 'not JSON' };
    }
  }
  return { text };
}
