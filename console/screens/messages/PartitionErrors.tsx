/** The partitions a fetch could not read, each with its own code and message (the others are shown). */
import type { PartitionError } from './types.js';

export function PartitionErrors({ errors }: { errors: readonly PartitionError[] }) {
  if (errors.length === 0) return null;
  return (
    <div class="error" role="alert">
      {errors.map((e) => (
        <div key={e.partition}>
          partition {e.partition}: <code>{e.code}</code> {e.message}
        </div>
      ))}
    </div>
  );
}
