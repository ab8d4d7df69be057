// Debian's Chromium through playwright-core, and a page wrapper that counts the demo's API requests.
import { mkdir } from 'node:fs/promises';
import { type Browser, chromium, type Page } from 'playwright-core';
import { CHROMIUM_LAUNCH_OPTIONS } from '../../support/chromium';

export const ARTIFACTS_DIR = 'test-results/e2e';

export function launchChromium(): Promise<Browser> {
  return chromium.launch(CHROMIUM_LAUNCH_OPTIONS);
}

export interface ApiRequest {
  readonly method: string;
  /** Path and query, e.g. `/api/invoices/bulk?level=detail&ids=7`. */
  readonly path: string;
}

/** One browser context (its own registry and client id) with one page, and every API request it made. */
export interface DemoTab {
  readonly page: Page;
  readonly requests: ApiRequest[];
  /** True while the page is the one first loaded: a reload (or any navigation) makes it false. */
  sameDocument(): Promise<boolean>;
  close(): Promise<void>;
}

export async function openTab(browser: Browser, url: string): Promise<DemoTab> {
  const context = await browser.newContext({ viewport: { width: 1500, height: 950 } });
  const page = await context.newPage();
  const requests: ApiRequest[] = [];
  page.on('request', (request) => {
    const { pathname, search } = new URL(request.url());
    if (pathname.startsWith('/api/invoices') || pathname.startsWith('/api/demo')) {
      requests.push({ method: request.method(), path: pathname + search });
    }
  });
  await page.goto(url);
  await page.evaluate(() => {
    (window as unknown as { __firstLoad: boolean }).__firstLoad = true;
  });
  return {
    page,
    requests,
    sameDocument: () =>
      page.evaluate(() => (window as unknown as { __firstLoad?: boolean }).__firstLoad === true),
    close: () => context.close(),
  };
}

export async function screenshot(tab: DemoTab, name: string): Promise<string> {
  await mkdir(ARTIFACTS_DIR, { recursive: true });
  const file = `${ARTIFACTS_DIR}/${name}.png`;
  await tab.page.screenshot({ path: file, fullPage: true });
  return file;
}
