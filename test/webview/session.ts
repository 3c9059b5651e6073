// The test page and a browser for one webview test file: built and launched before its tests,
// closed after them.
import { after, before } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { buildHarness, launch, openViews } from './page';

type ViewOptions = Parameters<typeof openViews>[2];

/** Registers the hooks and returns `open`, which mounts the views on a fresh page. */
export function useViewsPage(): { open(options?: ViewOptions): Promise<{ page: Page; errors: string[] }> } {
  let browser: Browser | undefined;
  let url = '';
  before(async () => {
    [url, browser] = await Promise.all([buildHarness(), launch()]);
  });
  after(() => browser?.close());
  return {
    open: (options) => {
      if (!browser) throw new Error('the browser has not started');
      return openViews(browser, url, options);
    },
  };
}
