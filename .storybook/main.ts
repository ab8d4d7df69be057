// Storybook: the scenario stories in stories/, on @storybook/react-vite, offline (no telemetry, no update checks),
// with msw's worker script (public/mockServiceWorker.js) served at the root, where the stories' msw loader finds it.
import type { StorybookConfig } from '@storybook/react-vite';

const config: StorybookConfig = {
  stories: ['../stories/**/*.stories.tsx'],
  addons: ['@storybook/addon-vitest'],
  staticDirs: ['./public'],
  framework: { name: '@storybook/react-vite', options: {} },
  core: { disableTelemetry: true, disableWhatsNewNotifications: true },
  viteFinal: (viteConfig) => ({
    ...viteConfig,
    // Pre-bundled up front, so the browser tests never reload mid-run to optimize a late discovery.
    optimizeDeps: {
      ...viteConfig.optimizeDeps,
      include: [...(viteConfig.optimizeDeps?.include ?? []), 'react', 'react-dom', 'react-dom/client'],
    },
  }),
};

export default config;
