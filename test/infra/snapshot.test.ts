import { describe, expect, it } from 'vitest';
import { synth } from './synth.js';

/** Asset hashes change with every edit of a handler; the snapshot is about the rest. */
function withoutAssetHashes(template: unknown): unknown {
  return JSON.parse(JSON.stringify(template).replace(/[0-9a-f]{64}/g, '[ASSET HASH]'));
}

describe('Stack: brook-prod', () => {
  it('matches the snapshot (update with `npx vitest run test/infra -u` after an intended change)', () => {
    expect(withoutAssetHashes(synth('prod').template.toJSON())).toMatchSnapshot();
  });
});
