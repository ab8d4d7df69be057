// The msw worker the stories register (.storybook/public/mockServiceWorker.js, committed because msw's install
// script is denied) is the installed msw's own: a worker from another msw version refuses to mock.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

describe('the stories msw worker', () => {
  it("is the installed msw version's mockServiceWorker.js (regenerate with `npx msw init .storybook/public --save=false`)", () => {
    const committed = readFileSync(join(root, '.storybook/public/mockServiceWorker.js'), 'utf8');
    const installed = readFileSync(
      createRequire(import.meta.url).resolve('msw/mockServiceWorker.js'),
      'utf8',
    );
    const { version } = JSON.parse(
      readFileSync(createRequire(import.meta.url).resolve('msw/package.json'), 'utf8'),
    ) as { version: string };
    expect(committed).toContain(`const PACKAGE_VERSION = '${version}'`);
    expect(committed).toBe(installed);
  });
});
