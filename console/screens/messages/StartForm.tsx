/** "Where to read": the topic, a partition or all of them, where to start, the page size; and the live tail's switch. */
import { useState } from 'preact/hooks';
import { TopicSelect } from '../../components/TopicSelect.js';
import type { StartChoice, StartMode } from './types.js';

export const ALL_PARTITIONS = 'all';

export interface StartFormProps {
  readonly topics: readonly { name: string; partitions: number }[];
  readonly topic: string;
  readonly partition: string;
  readonly maxPage: number;
  readonly busy: boolean;
  readonly tailing: boolean;
  readonly onTopic: (topic: string) => void;
  readonly onPartition: (partition: string) => void;
  readonly onRead: (choice: StartChoice, pageSize: number) => void;
  readonly onTail: (on: boolean) => void;
}

export function StartForm(props: StartFormProps) {
  const [mode, setMode] = useState<StartMode>('earliest');
  const [minusN, setMinusN] = useState('50');
  const [offset, setOffset] = useState('0');
  const [time, setTime] = useState('');
  const [pageSize, setPageSize] = useState('50');
  const partitions = props.topics.find((t) => t.name === props.topic)?.partitions ?? 0;

  const submit = () => {
    const timeMs = mode === 'time' ? Date.parse(time) : 0;
    const size = Math.min(props.maxPage, Math.max(1, Number(pageSize) || 50));
    props.onRead({ mode, minusN: Number(minusN) || 0, offset: Number(offset) || 0, timeMs }, size);
  };

  return (
    <form
      class="inline-form"
      aria-label="where to read"
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      <TopicSelect topics={props.topics} value={props.topic} onChange={props.onTopic} />
      <label>
        partition
        <select name="partition" value={props.partition} onChange={(e) => props.onPartition(e.currentTarget.value)}>
          {Array.from({ length: partitions }, (_, i) => (
            <option key={i} value={String(i)}>
              {i}
            </option>
          ))}
          {partitions > 1 && <option value={ALL_PARTITIONS}>all</option>}
        </select>
      </label>
      <label>
        start at
        <select name="mode" value={mode} onChange={(e) => setMode(e.currentTarget.value as StartMode)}>
          <option value="earliest">earliest</option>
          <option value="latest">latest minus N</option>
          <option value="offset">an offset</option>
          <option value="time">a time</option>
        </select>
      </label>
      {mode === 'latest' && (
        <label>
          N <input name="n" type="number" min="0" value={minusN} onInput={(e) => setMinusN(e.currentTarget.value)} />
        </label>
      )}
      {mode === 'offset' && (
        <label>
          offset <input name="offset" type="number" min="0" value={offset} onInput={(e) => setOffset(e.currentTarget.value)} />
        </label>
      )}
      {mode === 'time' && (
        <label>
          time (local) <input name="time" type="datetime-local" step="1" value={time} onInput={(e) => setTime(e.currentTarget.value)} />
        </label>
      )}
      <label>
        page size <input name="pageSize" type="number" min="1" max={props.maxPage} value={pageSize} onInput={(e) => setPageSize(e.currentTarget.value)} />
      </label>
      <button type="submit" disabled={props.busy || props.tailing || props.topic === ''}>
        read
      </button>
      <button type="button" class="tail" disabled={props.topic === ''} onClick={() => props.onTail(!props.tailing)}>
        {props.tailing ? 'pause' : 'live tail'}
      </button>
    </form>
  );
}
