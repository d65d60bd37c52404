/**
 * The SDK with no configuration finds the local stack (its url and the admin
 * key `npm start` saved), and `createTopics` answers as kafkajs's does. A
 * fake fetch stands in for the server.
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Brook, type FetchLike } from '../../sdk/index.js';
import { findLocalAdminKey } from '../../sdk/localStack.js';

const SAVED = ['BROOK_URL', 'BROOK_API_KEY', 'BROOK_DATA_DIR', 'BROOK_PORT'] as const;

describe('Class: Brook (defaults for the local stack)', () => {
  let dir: string;
  const env: Partial<Record<(typeof SAVED)[number], string>> = {};

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'brook-sdk-local-'));
    for (const name of SAVED) {
      env[name] = process.env[name];
      delete process.env[name];
    }
  });

  afterEach(async () => {
    for (const name of SAVED) {
      if (env[name] === undefined) delete process.env[name];
      else process.env[name] = env[name];
    }
    await rm(dir, { recursive: true, force: true });
  });

  /** Records the url and Authorization header of each request; answers `{"topics": []}`. */
  function recorder(): { fetch: FetchLike; seen: { url: string; authorization: string | undefined }[] } {
    const seen: { url: string; authorization: string | undefined }[] = [];
    const fetch: FetchLike = async (url, init) => {
      seen.push({ url, authorization: (init.headers as Record<string, string>).authorization });
      return new Response('{"topics":[]}', { status: 200, headers: { 'content-type': 'application/json' } });
    };
    return { fetch, seen };
  }

  it('uses the local stack url and the admin key saved in BROOK_DATA_DIR when given neither', async () => {
    // Prepare
    await writeFile(join(dir, 'admin-key'), 'brook_saved_key\n');
    process.env.BROOK_DATA_DIR = dir;
    process.env.BROOK_PORT = '9191';
    const { fetch, seen } = recorder();

    // Act
    await new Brook({ fetch }).admin().listTopics();

    // Assess
    expect(seen).toEqual([{ url: 'http://127.0.0.1:9191/v1/topics', authorization: 'Bearer brook_saved_key' }]);
  });

  it('finds .brook/admin-key in the current folder or a parent, for a local url only', async () => {
    await mkdir(join(dir, '.brook'));
    await mkdir(join(dir, 'app', 'src'), { recursive: true });
    await writeFile(join(dir, '.brook', 'admin-key'), 'brook_parent\n');

    expect(findLocalAdminKey('http://127.0.0.1:8080', { cwd: join(dir, 'app', 'src'), env: {} })).toEqual({
      apiKey: 'brook_parent',
      file: join(dir, '.brook', 'admin-key'),
    });
    expect(findLocalAdminKey('https://brook.example.com', { cwd: join(dir, 'app', 'src'), env: {} })).toBeUndefined();
  });

  it('prefers an explicit key, then BROOK_API_KEY, over a saved one', async () => {
    await writeFile(join(dir, 'admin-key'), 'brook_saved_key\n');
    process.env.BROOK_DATA_DIR = dir;
    const { fetch, seen } = recorder();

    await new Brook({ url: 'http://127.0.0.1:8080', apiKey: 'explicit', fetch }).admin().listTopics();
    process.env.BROOK_API_KEY = 'from-env';
    await new Brook({ url: 'http://127.0.0.1:8080', fetch }).admin().listTopics();

    expect(seen.map((request) => request.authorization)).toEqual(['Bearer explicit', 'Bearer from-env']);
  });
});

describe('Class: Admin', () => {
  describe('Method: createTopics', () => {
    it('resolves true when every topic was created, false when one existed, and rejects on other errors', async () => {
      // Prepare: "orders" exists, "audit" is refused for its name
      const created: string[] = [];
      const fetch: FetchLike = async (_url, init) => {
        const { name } = JSON.parse(String(init.body)) as { name: string };
        if (name === 'orders') {
          return new Response('{"error":{"code":"TOPIC_EXISTS","message":"exists","retriable":false}}', { status: 409 });
        }
        if (name === 'bad name') {
          return new Response('{"error":{"code":"INVALID_TOPIC","message":"bad","retriable":false}}', { status: 400 });
        }
        created.push(name);
        return new Response(JSON.stringify({ name, partitions: [] }), { status: 201 });
      };
      const admin = new Brook({ url: 'http://brook.example', apiKey: 'k', fetch }).admin();

      // Act and assess
      expect(await admin.createTopics({ topics: [{ name: 'payments' }] })).toBe(true);
      expect(await admin.createTopics({ topics: [{ name: 'orders', partitions: 3 }, { name: 'refunds' }] })).toBe(false);
      await expect(admin.createTopics({ topics: [{ name: 'bad name' }] })).rejects.toMatchObject({ code: 'INVALID_TOPIC' });
      expect(created).toEqual(['payments', 'refunds']);
    });
  });
});
