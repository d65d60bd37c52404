/** A labelled choice of topic, by name. */
export function TopicSelect(props: { topics: readonly { name: string }[]; value: string; onChange: (name: string) => void }) {
  return (
    <label>
      topic
      <select name="topic" value={props.value} onChange={(e) => props.onChange(e.currentTarget.value)}>
        {props.topics.map((t) => (
          <option key={t.name} value={t.name}>
            {t.name}
          </option>
        ))}
      </select>
    </label>
  );
}
