/** The loaded records as a virtualized table: partition, offset, timestamp, key, value (in the chosen view) and headers. */
import { isByteView, lenientText, renderValue, showBytes, type ValueView } from '../../components/bytes.js';
import { formatTime } from '../../components/format.js';
import { VirtualTable } from '../../components/VirtualTable.js';
import type { ShownRecord } from './types.js';

function Bytes({ base64, text, view }: { base64: string | null; text: string | null; view: ValueView }) {
  const shown = view === 'hex' || view === 'base64' ? showBytes(base64, view) : text;
  return shown === null ? <em>null</em> : <>{shown}</>;
}

export function RecordsTable({ records, view, resetKey }: { records: readonly ShownRecord[]; view: ValueView; resetKey: unknown }) {
  return (
    <VirtualTable
      className="records"
      label="records"
      items={records}
      resetKey={resetKey}
      columns={6}
      keyOf={(r) => `${r.partition}:${r.offset}`}
      rowAttributes={(r) => ({ 'data-partition': String(r.partition), 'data-offset': String(r.offset) })}
      head={
        <tr>
          <th>partition</th>
          <th>offset</th>
          <th>timestamp</th>
          <th>key</th>
          <th>value</th>
          <th>headers</th>
        </tr>
      }
      cells={(r) => {
        const value = renderValue(r.value, view);
        return (
          <>
            <td class="partition">{r.partition}</td>
            <td>{r.offset}</td>
            <td>{formatTime(r.timestamp)}</td>
            <td class="key">
              <Bytes base64={r.key} text={r.keyText} view={view} />
            </td>
            <td>
              {value.note && <em class="muted">{value.note} </em>}
              <pre>{value.text}</pre>
            </td>
            <td>
              {Object.entries(r.headers).map(([name, v]) => (
                <div key={name}>
                  <code>{name}</code>: <Bytes base64={v} text={isByteView(view) ? null : lenientText(v)} view={view} />
                </div>
              ))}
            </td>
          </>
        );
      }}
    />
  );
}
