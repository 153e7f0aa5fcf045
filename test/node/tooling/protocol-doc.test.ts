/**
 * docs/protocol.md is where the code's `§` references point: every section cited in `src/` (and in
 * the tests, benchmarks and scripts) must be a heading there, so a reader following `§7.2` or
 * `§13 item 6` lands on it. And no source file may send readers to a PROTOCOL.md that is not in the
 * repository.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const doc = readFileSync(`${root}docs/protocol.md`, 'utf8');

/** The section numbers of docs/protocol.md's headings: `## 7. Sequences` → 7, `### 7.2 …` → 7.2. */
const headings = new Set(
  [...doc.matchAll(/^#{2,4} (\d+(?:\.\d+)?)\.? /gm)].map((match) => match[1]!),
);

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return files(path);
    return /\.(ts|mts|mjs|js)$/.test(name) ? [path] : [];
  });
}

/** Every section a file cites: `§1.5`, `§4.7–4.9` (both ends), `§13 item 6` (as 13.6). */
function citations(text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(/§\s?(\d+)(?:\.(\d+))?(?:\s+items?\s+(\d+))?(?:\s?[–-]\s?§?(\d+)\.(\d+))?/g)) {
    const [, major, minor, item, endMajor, endMinor] = match;
    if (minor !== undefined) found.push(`${major}.${minor}`);
    else if (item !== undefined) found.push(`${major}.${item}`);
    else found.push(major!);
    if (endMajor !== undefined) found.push(`${endMajor}.${endMinor}`);
  }
  return found;
}

function missing(dirs: string[]): string[] {
  const problems: string[] = [];
  for (const dir of dirs) {
    for (const file of files(`${root}${dir}`)) {
      for (const section of citations(readFileSync(file, 'utf8'))) {
        if (!headings.has(section)) problems.push(`${file.slice(root.length)}: §${section}`);
      }
    }
  }
  return [...new Set(problems)];
}

describe('docs/protocol.md', () => {
  it('has the numbered sections the checks below rely on', () => {
    for (const section of ['1', '1.5', '7.2', '13', '13.6']) expect(headings.has(section), section).toBe(true);
    expect(citations('see §1.5 rule 6, §4.7–4.9 and §13 item 6')).toEqual(['1.5', '4.7', '4.9', '13.6']);
  });

  it('has a heading for every section cited in src/', () => {
    expect(missing(['src'])).toEqual([]);
  });

  it('has a heading for every section cited in test/, bench/ and scripts/', () => {
    expect(missing(['test', 'bench', 'scripts'])).toEqual([]);
  });

  it('has a heading for every section README.md cites', () => {
    const cited = citations(readFileSync(`${root}README.md`, 'utf8'));
    expect(cited.length).toBeGreaterThan(5);
    expect(cited.filter((section) => !headings.has(section))).toEqual([]);
  });

  it('src/ and README.md point readers to docs/protocol.md, not to a PROTOCOL.md outside the repository', () => {
    const stale = [...files(`${root}src`), `${root}README.md`].filter((file) => readFileSync(file, 'utf8').includes('PROTOCOL.md'));
    expect(stale.map((file) => file.slice(root.length))).toEqual([]);
  });
});
