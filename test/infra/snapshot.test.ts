import { describe, expect, it } from 'vitest';
import { STAGE_NAMES, synth } from './synth.js';

/** Asset hashes change with every edit of a handler; the snapshot is about the rest. */
function withoutAssetHashes(template: unknown): unknown {
  return JSON.parse(JSON.stringify(template).replace(/[0-9a-f]{64}/g, '[ASSET HASH]'));
}

describe.each(STAGE_NAMES)('Stack: brook-%s', (stageName) => {
  it('matches the snapshot (update with `npx vitest run --project infra -u` after an intended change, and review the diff)', () => {
    expect(withoutAssetHashes(synth(stageName).template.toJSON())).toMatchSnapshot();
  });
});
