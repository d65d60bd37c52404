/**
 * `npm run build` (also run by `npm install` through `prepare`): bundles what
 * the package ships into dist/ with esbuild, for Node 20 as ES modules.
 *
 * - `dist/cli.js`: the `brook` command, every dependency bundled in, so it
 *   starts fast and needs nothing but Node; linked as `node_modules/.bin/brook`
 *   (`npx brook`).
 * - `dist/sdk/index.js`: the SDK, its npm dependencies left as imports.
 * - `dist/types/`: the SDK's type declarations (`tsc -p tsconfig.sdk.json`),
 *   which `package.json` names as the `types` of `brook/sdk`.
 * - `dist/console/`: the Brook Console (`console/`), a web UI the local stack
 *   serves at `/console`: `index.html`, `app.js` (minified, for browsers) and
 *   `app.css` (uPlot's style sheet, then `console/app.css`).
 *
 * The API reference is separate: `npm run docs:api` (typedoc).
 */
import { execFile } from 'node:child_process';
import { chmod, copyFile, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build as esbuild, type BuildOptions } from 'esbuild';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** ESM bundles of CommonJS packages (commander, cli-table3) need a `require`. */
const REQUIRE_SHIM = "import { createRequire as __brookCreateRequire } from 'node:module'; const require = __brookCreateRequire(import.meta.url);";

export interface Entry {
  readonly entry: string;
  /** Relative to the output folder. */
  readonly outfile: string;
  readonly options?: BuildOptions;
}

export const ENTRIES: readonly Entry[] = [
  {
    entry: 'cli/main.ts',
    outfile: 'cli.js',
    options: { packages: 'bundle', banner: { js: `#!/usr/bin/env node\n${REQUIRE_SHIM}` } },
  },
  {
    entry: 'sdk/index.ts',
    outfile: 'sdk/index.js',
    options: { packages: 'external' },
  },
];

/** Builds every entry into `outdir` (default `dist/`, emptied first). */
export async function build(outdir = join(ROOT, 'dist')): Promise<void> {
  await rm(outdir, { recursive: true, force: true });
  await Promise.all(
    ENTRIES.map(({ entry, outfile, options }) =>
      esbuild({
        absWorkingDir: ROOT,
        entryPoints: [entry],
        outfile: join(outdir, outfile),
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node20',
        sourcemap: false,
        legalComments: 'none',
        logLevel: 'warning',
        ...options,
      }),
    ),
  );
  await chmod(join(outdir, 'cli.js'), 0o755);
  await Promise.all([emitSdkDeclarations(join(outdir, 'types')), buildConsole(join(outdir, 'console'))]);
}

/** The Brook Console's files, as `local/console.ts` serves them. */
export const CONSOLE_FILES = ['index.html', 'app.js', 'app.css'] as const;

/** Bundles the console (Preact, JSX) for browsers into `outdir`, with its page and style sheet. */
export async function buildConsole(outdir: string): Promise<void> {
  await mkdir(outdir, { recursive: true });
  await esbuild({
    absWorkingDir: ROOT,
    entryPoints: ['console/main.tsx'],
    outfile: join(outdir, 'app.js'),
    tsconfig: 'console/tsconfig.json',
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: ['chrome110', 'firefox115', 'safari16'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    minify: true,
    // No template literals out: the minifier would otherwise turn strings with "\n" into them, new lines and all.
    supported: { 'template-literal': false },
    sourcemap: false,
    legalComments: 'none',
    logLevel: 'warning',
  });
  await Promise.all([copyFile(join(ROOT, 'console', 'index.html'), join(outdir, 'index.html')), writeConsoleCss(join(outdir, 'app.css'))]);
}

/** `app.css`: uPlot's style sheet (the group lag chart), then the console's own. */
async function writeConsoleCss(file: string): Promise<void> {
  const uplot = createRequire(import.meta.url).resolve('uplot/dist/uPlot.min.css');
  const [theirs, ours] = await Promise.all([readFile(uplot, 'utf8'), readFile(join(ROOT, 'console', 'app.css'), 'utf8')]);
  await writeFile(file, `/* uPlot ${UPLOT_LICENSE} */\n${theirs}\n${ours}`);
}

const UPLOT_LICENSE = '(MIT License, Leon Sorokin)';

/** The SDK's `.d.ts` files (and those of the `protocol/` types it re-exports). */
async function emitSdkDeclarations(outDir: string): Promise<void> {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  await promisify(execFile)(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.sdk.json'), '--outDir', outDir], { cwd: ROOT });
}

/**
 * Links `node_modules/.bin/brook` to `dist/cli.js`, where `npx brook` finds
 * and runs it at once. The package declares no `bin` on purpose: npm would
 * not link a package's own bin here, and `npx` would first install the whole
 * package into its cache (about 4 to 9 s on the first run, 0.9 s this way).
 */
export async function linkOwnBin(root = ROOT): Promise<void> {
  const bin = join(root, 'node_modules', '.bin');
  await mkdir(bin, { recursive: true });
  const link = join(bin, 'brook');
  await rm(link, { force: true });
  await symlink(join('..', '..', 'dist', 'cli.js'), link);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const started = Date.now();
  await build(process.argv[2]);
  if (process.argv[2] === undefined) await linkOwnBin();
  console.log(`built dist/ in ${Date.now() - started} ms`);
}
