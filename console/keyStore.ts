/** The pasted API key, kept in sessionStorage only (gone with the tab; never in a URL). */
const SLOT = 'brook.console.key';

export function loadKey(): string | undefined {
  try {
    return sessionStorage.getItem(SLOT) ?? undefined;
  } catch {
    return undefined;
  }
}

export function saveKey(key: string): void {
  sessionStorage.setItem(SLOT, key);
}

export function forgetKey(): void {
  sessionStorage.removeItem(SLOT);
}
