// Fails when package-lock.json lacks other platforms' builds of a native package it pins, so `npm ci` would refuse it elsewhere.
import { readFileSync } from 'node:fs';

const lock = JSON.parse(readFileSync(new URL('../package-lock.json', import.meta.url), 'utf8'));
const packages = lock.packages ?? {};

// A native package ships one optional build per platform; each family must be complete in the lock.
// The families named here are the ones this project pins; a family absent from the lock is not checked.
const families = {
  '@biomejs/cli-': ['darwin-arm64', 'darwin-x64', 'linux-arm64', 'linux-x64', 'win32-x64'],
  '@esbuild/': ['darwin-arm64', 'darwin-x64', 'linux-arm64', 'linux-x64', 'win32-x64'],
  '@rollup/rollup-': ['darwin-arm64', 'darwin-x64', 'linux-arm64-gnu', 'linux-x64-gnu', 'win32-x64-msvc'],
  '@rolldown/binding-': ['darwin-arm64', 'darwin-x64', 'linux-arm64-gnu', 'linux-x64-gnu', 'win32-x64-msvc'],
};

const names = Object.keys(packages).map((path) => path.replace(/^.*node_modules\//, ''));
const missing = [];
for (const [prefix, platforms] of Object.entries(families)) {
  const present = new Set(
    names.filter((name) => name.startsWith(prefix)).map((name) => name.slice(prefix.length)),
  );
  if (present.size === 0) continue;
  for (const platform of platforms) if (!present.has(platform)) missing.push(`${prefix}${platform}`);
}
const held = packages['node_modules/vite']?.version;
if (held && !held.startsWith('8.3.')) {
  missing.push(`vite is ${held}; hold it at 8.3.x (see CONTRIBUTING.md)`);
}

if (missing.length > 0) {
  console.error(`package-lock.json is incomplete for other platforms:\n  ${missing.join('\n  ')}`);
  console.error(
    'Regenerate it: rm -rf node_modules package-lock.json && npm install, then check with npm ci (CONTRIBUTING.md).',
  );
  process.exit(1);
}
console.log(
  `package-lock.json lists every platform's native builds (${Object.keys(families).length} families checked).`,
);
