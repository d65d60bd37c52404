/**
 * Bundle size and cold initialisation of every Lambda handler
 * (`npx tsx bench/bundles.ts`), held to the budget in docs/deploy.md.
 *
 * Each handler is built with esbuild from `BUNDLING_DEFAULTS`, the options
 * the CDK stack gives `NodejsFunction` (ESM, minified, source map, the
 * `createRequire` banner, the same externals and aliases). Cold init is the
 * time a fresh `node` process takes to import the bundle (module load plus
 * the handler's top-level code: config, SDK clients; no network), with the
 * functions' `NODE_OPTIONS`; the median of BENCH_RUNS (7) processes.
 *
 * BENCH_NODE_OPTIONS replaces the functions' `NODE_OPTIONS` (e.g. '' to see
 * what `--enable-source-maps` costs).
 *
 * `--variant=<name>` builds another way to compare (see VARIANTS);
 * `--json` prints the rows as JSON; they are also saved to
 * bench/results/bundles-<variant>.json.
 * Exits 1 when a handler is over budget.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type BuildOptions } from 'esbuild';
import { BUNDLE_BUDGET, BUNDLING_DEFAULTS, bundleBudgetOf } from '../infra/constructs/defaults.js';
import { handlerEntry, PROJECT_ROOT } from '../infra/paths.js';

export const HANDLERS = [
  'health',
  'fallback',
  'topics',
  'produce',
  'fetch',
  'groups',
  'subscriptions',
  'keys',
  'console',
  'compactor',
  'dispatcher',
  'bootstrapAdminKey',
  'bootstrapSecretKey',
  'subscriptionResource',
];

/** Ways of building to compare; `cdk` is what the stack deploys. */
const VARIANTS: Record<string, (options: BuildOptions) => BuildOptions> = {
  cdk: (options) => options,
  /** The AWS SDK left to the Lambda runtime (what the stack did before). */
  'sdk-external': (options) => ({ ...options, external: ['@aws-sdk/*'], alias: {} }),
  /** The SDK bundled, with the full default credential chain. */
  'sdk-bundled-full-chain': (options) => ({ ...options, external: [], alias: {} }),
  /** The SDK bundled, credentials from the environment only. */
  'sdk-bundled-env-credentials': (options) => ({
    ...options,
    external: [],
    alias: { '@aws-sdk/credential-provider-node': join(PROJECT_ROOT, 'functions/storage/lambdaCredentials.ts') },
  }),
};

/** The esbuild options `NodejsFunction` derives from `BUNDLING_DEFAULTS`. */
export function esbuildOptions(entry: string, outfile: string): BuildOptions {
  return {
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: BUNDLING_DEFAULTS.target ?? 'node22',
    minify: BUNDLING_DEFAULTS.minify ?? false,
    sourcemap: BUNDLING_DEFAULTS.sourceMap ?? false,
    mainFields: BUNDLING_DEFAULTS.mainFields ?? [],
    external: BUNDLING_DEFAULTS.externalModules ?? [],
    alias: bundlingAliases(),
    ...(BUNDLING_DEFAULTS.banner ? { banner: { js: BUNDLING_DEFAULTS.banner } } : {}),
    define: BUNDLING_DEFAULTS.define ?? {},
    logLevel: 'silent',
  };
}

/** `--alias:a=b` pairs of `BUNDLING_DEFAULTS.esbuildArgs`, as esbuild's API wants them. */
function bundlingAliases(): Record<string, string> {
  const aliases: Record<string, string> = {};
  for (const [flag, value] of Object.entries(BUNDLING_DEFAULTS.esbuildArgs ?? {})) {
    if (!flag.startsWith('--alias:') || typeof value !== 'string') continue;
    aliases[flag.slice('--alias:'.length)] = value.startsWith('./') ? join(PROJECT_ROOT, value) : value;
  }
  return aliases;
}

export interface BundleRow {
  handler: string;
  /** Bytes of the minified bundle (the source map, loaded only by --enable-source-maps, apart). */
  bytes: number;
  mapBytes: number;
  /** Median cold init, ms. */
  coldInitMs: number;
  runs: number[];
}

/** The environment a handler reads at cold start; nothing is called, so the names need not exist. */
const HANDLER_ENV: Record<string, string> = {
  BROOK_LOG_TABLE: 'log',
  BROOK_TOPICS_TABLE: 'topics',
  BROOK_GROUPS_TABLE: 'groups',
  BROOK_KEYS_TABLE: 'keys',
  BROOK_SUBSCRIPTIONS_TABLE: 'subscriptions',
  BROOK_BUCKET: 'bucket',
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'AKIDBENCH',
  AWS_SECRET_ACCESS_KEY: 'bench',
  AWS_LAMBDA_FUNCTION_NAME: 'bench',
  POWERTOOLS_SERVICE_NAME: 'brook-bench',
  POWERTOOLS_LOG_LEVEL: 'INFO',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  NODE_OPTIONS: '--enable-source-maps',
};

const IMPORT_AND_TIME =
  'const t=performance.now();const m=await import(process.argv[1]);' +
  "if(typeof m.handler!=='function')throw new Error('no handler');process.stdout.write(String(performance.now()-t));";

function coldInit(bundle: string): number {
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', IMPORT_AND_TIME, bundle], {
    env: { PATH: process.env.PATH ?? '', ...HANDLER_ENV, ...(process.env.BENCH_NODE_OPTIONS !== undefined ? { NODE_OPTIONS: process.env.BENCH_NODE_OPTIONS } : {}) },
    encoding: 'utf8',
    cwd: PROJECT_ROOT,
  });
  if (child.status !== 0) throw new Error(`importing ${bundle} failed: ${child.stderr}`);
  return Number(child.stdout);
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

export interface BuiltBundle {
  handler: string;
  file: string;
  bytes: number;
  mapBytes: number;
}

/** Builds every handler one way. Bundles go under node_modules/.cache so that external modules resolve. */
export async function buildBundles(variant = 'cdk'): Promise<BuiltBundle[]> {
  const shape = VARIANTS[variant];
  if (!shape) throw new Error(`unknown variant "${variant}": ${Object.keys(VARIANTS).join(', ')}`);
  const outDir = join(PROJECT_ROOT, 'node_modules', '.cache', 'brook-bundles', variant);
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  return Promise.all(
    HANDLERS.map(async (handler) => {
      const file = join(outDir, handler, 'index.mjs');
      await build(shape(esbuildOptions(handlerEntry(handler), file)));
      return { handler, file, bytes: statSync(file).size, mapBytes: sizeOrZero(`${file}.map`) };
    }),
  );
}

function sizeOrZero(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/** Builds every handler one way and times `runs` cold imports of each. */
export async function measureBundles(variant = 'cdk', runs = Number(process.env.BENCH_RUNS ?? 7)): Promise<BundleRow[]> {
  const rows: BundleRow[] = [];
  for (const bundle of await buildBundles(variant)) {
    coldInit(bundle.file); // warms the file system cache; not counted
    const times = Array.from({ length: runs }, () => coldInit(bundle.file));
    rows.push({ handler: bundle.handler, bytes: bundle.bytes, mapBytes: bundle.mapBytes, coldInitMs: median(times), runs: times });
  }
  return rows;
}

function overBudget(row: BundleRow): string[] {
  const problems: string[] = [];
  if (row.bytes > bundleBudgetOf(row.handler)) problems.push(`${row.handler}: ${row.bytes} bytes > ${bundleBudgetOf(row.handler)}`);
  if (row.coldInitMs > BUNDLE_BUDGET.maxColdInitMs) problems.push(`${row.handler}: cold init ${row.coldInitMs.toFixed(0)} ms > ${BUNDLE_BUDGET.maxColdInitMs}`);
  return problems;
}

async function main(): Promise<void> {
  const variant = process.argv.find((arg) => arg.startsWith('--variant='))?.slice('--variant='.length) ?? 'cdk';
  const rows = await measureBundles(variant);
  const results = fileURLToPath(new URL(`./results/bundles-${variant}.json`, import.meta.url));
  writeFileSync(results, `${JSON.stringify({ variant, node: process.version, budget: BUNDLE_BUDGET, rows }, null, 2)}\n`);
  if (process.argv.includes('--json')) {
    process.stdout.write(`${JSON.stringify(rows)}\n`);
  } else {
    console.log(`variant ${variant}, node ${process.version}, median of ${rows[0]?.runs.length} cold imports`);
    console.log('handler            bundle KB   map KB   cold init ms');
    for (const row of rows) {
      console.log(
        `${row.handler.padEnd(18)} ${(row.bytes / 1024).toFixed(1).padStart(9)} ${(row.mapBytes / 1024).toFixed(0).padStart(8)} ${row.coldInitMs.toFixed(0).padStart(14)}`,
      );
    }
    console.log(`budget: <= ${BUNDLE_BUDGET.maxBytes / 1024} KB and <= ${BUNDLE_BUDGET.maxColdInitMs} ms per handler`);
  }
  const problems = variant === 'cdk' ? rows.flatMap(overBudget) : [];
  for (const problem of problems) console.error(`over budget: ${problem}`);
  process.exitCode = problems.length > 0 ? 1 : 0;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) await main();
