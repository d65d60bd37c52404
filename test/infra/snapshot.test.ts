import { describe, expect, it } from 'vitest';
import { STAGE_NAMES, synth, SYNTH_TIMEOUT_MS } from './synth.js';

/**
 * Asset hashes change with every edit of a handler, and so does the logical id
 * of a function's current version (its suffix hashes the code); the snapshot
 * is about the rest.
 */
function withoutAssetHashes(template: unknown): unknown {
  return JSON.parse(
    JSON.stringify(template)
      .replace(/[0-9a-f]{64}/g, '[ASSET HASH]')
      .replace(/(CurrentVersion[0-9A-F]{8})[0-9a-f]{32}/g, '$1[CODE HASH]'),
  );
}

describe.each(STAGE_NAMES)('Stack: brook-%s', (stageName) => {
  it('matches the snapshot (update with `npx vitest run --project infra -u` after an intended change, and review the diff)', () => {
    expect(withoutAssetHashes(synth(stageName).template.toJSON())).toMatchSnapshot();
  }, SYNTH_TIMEOUT_MS);
});
