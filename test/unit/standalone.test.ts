/**
 * The repository stands alone: nothing in it points at files a user of the
 * repository does not have (planning documents kept outside it), and every
 * relative link in README.md and docs/*.md leads to a file that exists.
 * Reads the tracked files (`git ls-files`) as they are in the working tree.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Paths (relative to ROOT) of the tracked files that are still there. */
function trackedFiles(): string[] {
  const out = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return out.split('\0').filter((path) => path !== '' && existsSync(join(ROOT, path)) && statSync(join(ROOT, path)).isFile());
}

/**
 * Mentions of what lies outside the repository: a path into the sibling
 * `shared` folder, or the planning documents by name. Written as a pattern
 * so that this file does not match itself.
 */
const OUTSIDE_REFERENCE = /\.\.[\\/]shared\b|\b(?:API|DESIGN|STACK|STYLE)\.md\b/;

/** The lines of `text` that match `pattern`, as `line: text`. */
function matchingLines(text: string, pattern: RegExp): string[] {
  return text
    .split('\n')
    .map((line, i) => [i + 1, line] as const)
    .filter(([, line]) => pattern.test(line))
    .map(([n, line]) => `${n}: ${line.trim().slice(0, 160)}`);
}

/** Markdown without fenced code blocks and inline code, where `](` is not a link. */
function proseOf(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '').replace(/`[^`\n]*`/g, '');
}

/** The targets of inline links and images (`[text](target "title")`) and of reference definitions (`[id]: target`). */
function linkTargets(markdown: string): string[] {
  const prose = proseOf(markdown);
  const targets: string[] = [];
  for (const match of prose.matchAll(/\]\(\s*(<[^>]*>|[^)\s]+)(?:\s+["'(][^)]*)?\)/g)) targets.push(match[1]!);
  for (const match of prose.matchAll(/^\s{0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)/gm)) targets.push(match[1]!);
  return targets.map((target) => target.replace(/^<|>$/g, ''));
}

/** Whether a link target leaves the repository's files: a URL, a mail address, or an anchor on the same page. */
function isExternalOrAnchor(target: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('#') || target.startsWith('//');
}

describe('the repository stands alone', () => {
  const files = trackedFiles();

  it('finds the tracked files', () => {
    expect(files).toContain('README.md');
    expect(files).toContain('package.json');
  });

  it('mentions no file outside the repository', () => {
    const offenders: string[] = [];
    for (const path of files) {
      const bytes = readFileSync(join(ROOT, path));
      if (bytes.includes(0)) continue; // binary
      for (const line of matchingLines(bytes.toString('utf8'), OUTSIDE_REFERENCE)) offenders.push(`${path}:${line}`);
    }
    expect(offenders, 'reword these to say the fact, or point at docs/http.md or docs/design.md').toEqual([]);
  });

  it('has relative links in README.md and docs/*.md that lead to existing files', () => {
    const pages = files.filter((path) => path === 'README.md' || /^docs\/[^/]+\.md$/.test(path));
    expect(pages).toContain('docs/http.md');
    const broken: string[] = [];
    for (const page of pages) {
      for (const target of linkTargets(readFileSync(join(ROOT, page), 'utf8'))) {
        if (isExternalOrAnchor(target)) continue;
        const path = decodeURIComponent(target.split('#')[0]!.split('?')[0]!);
        if (path === '') continue;
        const resolved = path.startsWith('/') ? join(ROOT, path) : resolve(ROOT, dirname(page), path);
        if (!resolved.startsWith(ROOT) || !existsSync(resolved)) broken.push(`${page}: ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('reads links the way the check above relies on', () => {
    const page = [
      'See [the format](record-batch.md), [a section](design.md#reading "title"),',
      '[a site](https://example.com/x), [here](#conventions) and ![a picture](<img/a b.png>).',
      '```sh',
      'echo "[not a link](nowhere.md)"',
      '```',
      'Nor is `[this](nowhere.md)`.',
      '[ref]: ../README.md',
    ].join('\n');
    expect(linkTargets(page)).toEqual([
      'record-batch.md',
      'design.md#reading',
      'https://example.com/x',
      '#conventions',
      'img/a b.png',
      '../README.md',
    ]);
    // Built from parts, so that this file does not mention them itself.
    expect(OUTSIDE_REFERENCE.test(`see ${['..', 'shared', 'brief', 'notes'].join('/')}`)).toBe(true);
    for (const name of ['API', 'DESIGN', 'STACK', 'STYLE']) expect(OUTSIDE_REFERENCE.test(`as ${name}.md says`)).toBe(true);
    expect(OUTSIDE_REFERENCE.test('docs/http.md and docs/design.md')).toBe(false);
  });
});
