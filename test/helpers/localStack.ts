/**
 * A local stack of a test file's own, started in-process as `npm start` starts
 * it: a free port, its data in a fresh temp folder, and no compactor timer
 * (a test runs the compactor itself when it needs it).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalStack, type LocalStack, type LocalStackOptions } from '../../local/stack.js';

export interface LocalStackForTestsOptions extends Omit<LocalStackOptions, 'dataDir'> {
  /** The temp folder's name before its random suffix, e.g. `brook-sdk-`. */
  readonly prefix: string;
  /** Where the temp folder is made. @default os.tmpdir() */
  readonly parentDir?: string;
  /** The stack's data folder inside the temp folder (e.g. `.brook`). @default the temp folder itself */
  readonly dataDirName?: string;
}

export interface LocalStackForTests extends LocalStack {
  /** The temp folder: the data folder, or its parent when `dataDirName` is given. */
  readonly dir: string;
  /** Stops the stack, then removes the temp folder. Safe to call more than once. */
  stop(): Promise<void>;
}

/**
 * Starts the stack in a new temp folder (port 0, `compactIntervalMs` 0 unless
 * given). Without `apiKey`, the stack generates an admin key and saves it in
 * the data folder, where the CLI and the SDK look for it.
 */
export async function localStackForTests(options: LocalStackForTestsOptions): Promise<LocalStackForTests> {
  const { prefix, parentDir, dataDirName, ...stackOptions } = options;
  const dir = await mkdtemp(join(parentDir ?? tmpdir(), prefix));
  const remove = () => rm(dir, { recursive: true, force: true });
  let stack: LocalStack;
  try {
    stack = await startLocalStack({
      port: 0,
      compactIntervalMs: 0,
      ...stackOptions,
      dataDir: dataDirName === undefined ? dir : join(dir, dataDirName),
    });
  } catch (error) {
    await remove();
    throw error;
  }
  let stopping: Promise<void> | undefined;
  return {
    ...stack,
    dir,
    stop: () => (stopping ??= stack.stop().finally(remove)),
  };
}
