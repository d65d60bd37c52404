/** Small formatters shared by the screens. */
export function formatTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

export function formatRetention(ms: number | undefined): string {
  if (ms === undefined) return '—';
  if (ms < 0) return 'forever';
  const hours = ms / 3_600_000;
  return hours >= 24 && hours % 24 === 0 ? `${hours / 24} d` : `${hours} h`;
}
