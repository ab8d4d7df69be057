// Two demo processes on different ports sharing one Redis (REDIS_URL): a context on each, an edit made
// through one process reaches the context on the other through the Redis backplane.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoProcess, startDemo } from '../support/demo-process';
import { type RedisServer, startRedisServer } from '../support/redis-server';
import { type DemoTab, launchChromium, openTab } from './support/browser';

const INVOICE = '12';

async function openReadyTab(browser: Browser, demo: DemoProcess): Promise<DemoTab> {
  const tab = await openTab(browser, `${demo.url}/#/invoice/${INVOICE}`);
  await tab.page.locator('[data-testid="stream-status"][data-phase="open"]').waitFor({ timeout: 10_000 });
  await tab.page.getByTestId('detail-version').waitFor({ timeout: 10_000 });
  return tab;
}

describe('two demo processes on one Redis', () => {
  let redis: RedisServer;
  let first: DemoProcess;
  let second: DemoProcess;
  let browser: Browser;

  beforeAll(async () => {
    redis = await startRedisServer();
    [first, second] = await Promise.all([
      startDemo({ redisUrl: redis.url }),
      startDemo({ redisUrl: redis.url }),
    ]);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all([first?.kill(), second?.kill()]);
    await redis?.stop();
  });

  it('keeps a context on each process in sync: an edit through one shows through the other within 2 s', async () => {
    expect(first.port).not.toBe(second.port);
    const editor = await openReadyTab(browser, first);
    const watcher = await openReadyTab(browser, second);
    const customer = `Edited via port ${first.port}`;

    await editor.page.getByTestId('edit-customer').fill(customer);
    await editor.page.getByTestId('edit-save').click();

    await expect
      .poll(() => watcher.page.getByTestId('detail-customer').textContent(), { timeout: 2_000, interval: 25 })
      .toBe(customer);
    expect(await watcher.sameDocument()).toBe(true);
    // The second process read the edit from the shared store, and its clients saw the shared sequence.
    const onSecond = (await (await fetch(`${second.url}/api/invoices/${INVOICE}?level=detail`)).json()) as {
      customer: string;
    };
    expect(onSecond.customer).toBe(customer);
    expect(await watcher.page.getByTestId('stream-seq').textContent()).toBe('1');
    const health = (await (await fetch(`${second.url}/healthz`)).json()) as { store: string };
    expect(health.store).toBe('redis');
  });
});
