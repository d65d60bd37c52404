/**
 * The house's import boundaries (.dependency-cruiser.cjs), so a change that
 * breaks the layering goes red: protocol/ imports nothing of ours, the SDK
 * and the CLI never load server, local-stack or CDK code, the console imports
 * protocol/ only (it is a client of the HTTP API), the CDK app loads
 * no Lambda runtime library, and no modules import each other in a loop.
 * On top, what the cruiser's rules cannot say: no loop between the folders
 * of functions/ (log -> topics -> log is a loop even when no two files are).
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CRUISER = 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs';

interface Cruise {
  modules: { source: string; dependencies: { resolved: string; coreModule: boolean; couldNotResolve: boolean }[] }[];
  summary: { violations: { rule: { name: string }; from: string; to: string; via?: { name: string }[] }[] };
}

let cruise: Cruise;

beforeAll(async () => {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [CRUISER, '--config', '.dependency-cruiser.cjs', '--output-type', 'json', 'functions', 'protocol', 'sdk', 'cli', 'console', 'local', 'infra'],
    { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 },
  ).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' })); // exit code 1 on violations: read them below
  cruise = JSON.parse(stdout) as Cruise;
}, 120_000);

/**
 * The room a file of functions/ belongs to: its folder (`functions/log/PartitionLog.ts` -> `log/`),
 * or itself for a file directly in functions/ (`functions/wiring.ts` -> `wiring.ts`), which is no folder.
 */
function folderOf(path: string): string | undefined {
  const match = /^functions\/(?:([^/]+)\/)?([^/]+)$/.exec(path);
  if (!match) return undefined;
  return match[1] !== undefined ? `${match[1]}/` : match[2];
}

/** Folder loops, each as `a -> b -> a` with the file imports that make each step. */
export function folderCycles(edges: Map<string, Map<string, string>>): string[] {
  const cycles: string[] = [];
  const seen = new Set<string>();
  for (const start of [...edges.keys()].sort()) {
    const stack: string[] = [];
    const visit = (folder: string) => {
      if (stack.includes(folder)) {
        if (folder === start) {
          const loop = [...stack, start];
          const key = [...new Set(stack)].sort().join(',');
          if (!seen.has(key)) {
            seen.add(key);
            cycles.push(loop.map((f, i) => (i + 1 < loop.length ? `${f} (${edges.get(f)!.get(loop[i + 1]!)})` : f)).join(' -> '));
          }
        }
        return;
      }
      stack.push(folder);
      for (const next of [...(edges.get(folder)?.keys() ?? [])].sort()) visit(next);
      stack.pop();
    };
    visit(start);
  }
  return cycles;
}

describe('Import boundaries', () => {
  it('cruised the code (every import resolved)', () => {
    expect(cruise.modules.length).toBeGreaterThan(100);
    const unresolved = cruise.modules.flatMap((m) => m.dependencies.filter((d) => d.couldNotResolve).map((d) => `${m.source} -> ${d.resolved}`));
    expect(unresolved).toEqual([]);
  });

  it('breaks no rule of .dependency-cruiser.cjs', () => {
    const violations = cruise.summary.violations.map(
      (v) => `${v.rule.name}: ${v.from} -> ${v.to}${v.via ? ` (via ${v.via.map((step) => step.name).join(' -> ')})` : ''}`,
    );
    expect(violations).toEqual([]);
  });

  it('has no loop between the folders of functions/', () => {
    const edges = new Map<string, Map<string, string>>();
    for (const module of cruise.modules) {
      const from = folderOf(module.source);
      if (from === undefined) continue;
      for (const dependency of module.dependencies) {
        const to = folderOf(dependency.resolved);
        if (to === undefined || to === from) continue;
        if (!edges.has(from)) edges.set(from, new Map());
        if (!edges.get(from)!.has(to)) edges.get(from)!.set(to, `${module.source} -> ${dependency.resolved}`);
      }
    }

    expect(folderCycles(edges)).toEqual([]);
  });

  it('finds a folder loop when there is one (the check itself)', () => {
    const edges = new Map([
      ['log', new Map([['topics', 'log/a.ts -> topics/b.ts']])],
      ['topics', new Map([['log', 'topics/b.ts -> log/c.ts']])],
      ['http', new Map([['log', 'http/d.ts -> log/c.ts']])],
    ]);
    expect(folderCycles(edges)).toEqual(['log (log/a.ts -> topics/b.ts) -> topics (topics/b.ts -> log/c.ts) -> log']);
    expect(folderOf('functions/log/PartitionLog.ts')).toBe('log/');
    expect(folderOf('functions/wiring.ts')).toBe('wiring.ts');
    expect(folderOf('sdk/index.ts')).toBeUndefined();
  });
});
