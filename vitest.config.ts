// Two projects: the node suite (test/) and the Storybook scenarios run as tests in real Chromium.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { storybookTest } from '@storybook/addon-vitest/vitest-plugin';
import { playwright } from '@vitest/browser-playwright';
import { configDefaults, defineConfig } from 'vitest/config';
import { CHROMIUM_LAUNCH_OPTIONS } from './test/support/chromium';

const dirname = path.dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'node',
          include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
          // The browser end-to-end suite has its own config and command: `npm run test:e2e`.
          exclude: [...configDefaults.exclude, 'test/e2e/**'],
          environment: 'node',
          pool: 'forks',
          testTimeout: 20_000,
          hookTimeout: 30_000,
        },
      },
      {
        // storybookTest also serves .storybook's staticDirs, so the stories register msw's worker
        // (.storybook/public/mockServiceWorker.js) from the same path as in Storybook.
        plugins: [storybookTest({ configDir: path.join(dirname, '.storybook') })],
        optimizeDeps: { include: ['react', 'react-dom', 'react-dom/client'] },
        test: {
          name: 'storybook',
          testTimeout: 20_000,
          browser: {
            enabled: true,
            headless: true,
            // Debian's chromium (README prerequisites); no browser download.
            provider: playwright({ launchOptions: CHROMIUM_LAUNCH_OPTIONS }),
            instances: [{ browser: 'chromium' }],
          },
        },
      },
    ],
  },
});
