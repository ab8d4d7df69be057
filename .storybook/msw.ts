// The msw worker behind the stories' fetch() calls: started once per page, then each story's handlers
// (`parameters.msw.handlers`) replace the previous story's before it renders.
import type { Loader } from '@storybook/react-vite';
import type { RequestHandler } from 'msw';
import { setupWorker } from 'msw/browser';

/** What a story declares under `parameters.msw`. */
export interface MswParameters {
  readonly handlers: readonly RequestHandler[];
}

const worker = setupWorker();
let started: Promise<unknown> | null = null;

export const mswLoader: Loader = async ({ parameters }) => {
  // mockServiceWorker.js is served from .storybook/public (staticDirs); a request no handler answers fails
  // loudly instead of reaching a network that does not exist.
  started ??= worker.start({
    serviceWorker: { url: './mockServiceWorker.js' },
    onUnhandledRequest: 'error',
    quiet: true,
  });
  await started;
  const msw = (parameters as { msw?: MswParameters }).msw;
  worker.resetHandlers(...(msw?.handlers ?? []));
  return {};
};
