/** Where each partition starts for a start choice, through `GET .../offsets?at=earliest|latest|<ms>`. */
import { path, type Api, type CallOptions } from '../../api.js';
import type { Position, StartChoice } from './types.js';

export async function offsetAt(api: Api, topic: string, partition: number, at: string, options?: CallOptions): Promise<number> {
  const answer = await api.get<{ offset: number }>(`${path('topics', topic, 'partitions', partition)}/offsets`, { at }, options);
  return answer.offset;
}

/**
 * The start of one partition. `latest` is N before the high watermark (not
 * before the log start). An `offset` is taken as typed for one partition (so
 * an offset outside the log shows its error), and kept within each log when
 * reading several.
 */
async function startOffset(api: Api, topic: string, partition: number, choice: StartChoice, clampOffset: boolean, options?: CallOptions): Promise<number> {
  const at = (where: string) => offsetAt(api, topic, partition, where, options);
  switch (choice.mode) {
    case 'earliest':
      return at('earliest');
    case 'latest': {
      const [earliest, latest] = await Promise.all([at('earliest'), at('latest')]);
      return Math.max(earliest, latest - Math.max(0, choice.minusN));
    }
    case 'offset': {
      if (!clampOffset) return choice.offset;
      const [earliest, latest] = await Promise.all([at('earliest'), at('latest')]);
      return Math.min(latest, Math.max(earliest, choice.offset));
    }
    case 'time':
      return at(String(choice.timeMs));
  }
}

export function startPositions(api: Api, topic: string, partitions: readonly number[], choice: StartChoice, options?: CallOptions): Promise<Position[]> {
  const clampOffset = partitions.length > 1;
  return Promise.all(partitions.map(async (partition) => ({ partition, offset: await startOffset(api, topic, partition, choice, clampOffset, options) })));
}
