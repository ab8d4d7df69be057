// The user documentation: every relative link resolves inside the repository and the published package,
// anchors name real headings, nothing (docs or doc comments) refers to files users do not have, and npm ships
// docs/ and LICENSE.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const documents = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];

/** Markdown links `[text](target)` outside fenced code blocks. */
function linksOf(markdown: string): string[] {
  const prose = markdown.replace(/```[\s\S]*?```/g, '');
  return [...prose.matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1]!);
}

const isExternal = (target: string): boolean => /^[a-z][a-z0-9+.-]*:/i.test(target);

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function anchorsOf(markdown: string): Set<string> {
  const prose = markdown.replace(/```[\s\S]*?```/g, '');
  const anchors = new Set<string>();
  for (const [, heading] of prose.matchAll(/^#{1,6}\s+(.+)$/gm)) {
    anchors.add(
      heading!
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, '')
        .replace(/\s/g, '-'),
    );
  }
  return anchors;
}

interface Link {
  from: string;
  target: string;
  /** The linked file, relative to the repository root. */
  file: string;
  anchor: string | null;
}

function relativeLinks(): Link[] {
  return documents.flatMap((from) =>
    linksOf(readFileSync(join(root, from), 'utf8'))
      .filter((target) => !isExternal(target))
      .map((target) => {
        const [path, anchor] = target.split('#') as [string, string | undefined];
        const file = path === '' ? from : relative(root, resolve(root, dirname(from), path));
        return { from, target, file, anchor: anchor ?? null };
      }),
  );
}

/** What `npm pack` would publish, as paths relative to the package root. */
function packedFiles(): string[] {
  const output = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const [pack] = JSON.parse(output) as Array<{ files: Array<{ path: string }> }>;
  return pack!.files.map((file) => file.path);
}

describe('documentation', () => {
  it('has the pages the README promises', () => {
    for (const page of ['client', 'react', 'protocol', 'server', 'from-tanstack-query', 'from-verity']) {
      expect(documents).toContain(`docs/${page}.md`);
    }
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    for (const page of documents.filter((doc) => doc.startsWith('docs/'))) {
      expect(linksOf(readme), `README links to ${page}`).toContain(page);
    }
  });

  it('every relative link resolves to a file in the repository', () => {
    const links = relativeLinks();
    expect(links.length).toBeGreaterThan(10);
    const broken = links.filter((link) => !existsSync(join(root, link.file)));
    expect(broken).toEqual([]);
  });

  it('every anchor names a heading of the page it points into', () => {
    const broken = relativeLinks().filter(
      (link) =>
        link.anchor !== null &&
        link.file.endsWith('.md') &&
        !anchorsOf(readFileSync(join(root, link.file), 'utf8')).has(link.anchor),
    );
    expect(broken).toEqual([]);
  });

  it('refers to nothing a user of the package does not have', () => {
    for (const doc of documents) {
      const text = readFileSync(join(root, doc), 'utf8');
      expect(text, doc).not.toMatch(/SPEC\.md|SPEC §|seeds\/|\bseed[- ]0\d\d\b/i);
    }
  });

  it('doc comments in src, which the published type declarations carry, refer to nothing users do not have', () => {
    const sources = execFileSync('git', ['ls-files', 'src'], { cwd: root, encoding: 'utf8' })
      .split('\n')
      .filter((path) => /\.tsx?$/.test(path));
    const leaks = sources.flatMap((path) =>
      [...readFileSync(join(root, path), 'utf8').matchAll(/\/\*\*[\s\S]*?\*\//g)]
        .map((match) => match[0])
        .filter((comment) => /SPEC(\.md| §)|\bseed[- ]?0\d\d|\bseed alias/i.test(comment))
        .map((comment) => `${path}: ${comment}`),
    );
    expect(leaks).toEqual([]);
  });

  it('npm publishes docs/, LICENSE, and every file the documents link to', () => {
    const packed = packedFiles();
    expect(packed).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'docs/protocol.md']));
    for (const doc of documents) expect(packed, doc).toContain(doc);
    const unpublished = relativeLinks().filter((link) => !packed.includes(link.file));
    expect(unpublished).toEqual([]);
  });
});
