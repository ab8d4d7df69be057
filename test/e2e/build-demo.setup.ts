// Global setup of the end-to-end suite: builds the demo's React app once (what `npm run demo` serves).
import { build } from 'vite';

export default async function setup(): Promise<void> {
  await build({ configFile: 'examples/demo/vite.config.ts', logLevel: 'warn' });
}
