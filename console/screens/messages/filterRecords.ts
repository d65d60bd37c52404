/** The loaded records that match the filters: key contains, and any text (key, value, headers) contains; case-insensitive. */
import type { ShownRecord } from './types.js';

export function filterRecords(records: readonly ShownRecord[], keyFilter: string, textFilter: string): readonly ShownRecord[] {
  const k = keyFilter.toLowerCase();
  const t = textFilter.toLowerCase();
  if (k === '' && t === '') return records;
  return records.filter(
    (r) =>
      (k === '' || (r.keyText ?? '').toLowerCase().includes(k)) &&
      (t === '' || [r.keyText ?? '', r.valueText ?? '', r.headersText].some((s) => s.toLowerCase().includes(t))),
  );
}
