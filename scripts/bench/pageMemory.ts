// The webview page's memory in Chromium, two ways: the page's JS heap (CDP Performance.getMetrics,
// JSHeapUsedSize: V8 objects only, not ArrayBuffer contents or canvases), and the resident memory of
// the browser's renderer processes (from /proc, whose peaks catch what the heap leaves out). CDP
// does not say which renderer draws which page, and headless Chromium keeps spare ones, so the
// renderers are taken together: the spares idle, so what grows is the page's.
import type { Browser, CDPSession, Page } from 'playwright-core';
import { peakRssOf, resetPeak, rssOf } from './processMemory';

/** A page's memory watch: its heap and its renderers' peaks, both above the level at `start`. */
export class PageMemory {
  private idleHeap = 0;
  private renderers: { pid: number; idle: number }[] = [];

  private constructor(private readonly browserSession: CDPSession, private readonly pageSession: CDPSession) {}

  static async watch(browser: Browser, page: Page): Promise<PageMemory> {
    const pageSession = await page.context().newCDPSession(page);
    await pageSession.send('Performance.enable');
    return new PageMemory(await browser.newBrowserCDPSession(), pageSession);
  }

  /** The page's JS heap in use now (JSHeapUsedSize), in bytes. */
  async heapUsed(): Promise<number> {
    const { metrics } = await this.pageSession.send('Performance.getMetrics');
    return metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? NaN;
  }

  /** Takes the present levels as idle and starts new peaks from them. */
  async start(): Promise<void> {
    await this.collect();
    this.idleHeap = await this.heapUsed();
    this.renderers = (await this.rendererPids()).map((pid) => ({ pid, idle: resetPeak(pid) }));
  }

  /**
   * The heap above idle now (after a collection: what the page keeps, not its garbage), and the
   * renderers' resident memory above idle, summed over renderers: the peak since start(), and what
   * they still hold after the collection.
   */
  async extra(): Promise<{ heapBytes: number; rendererPeakBytes: number; rendererHeldBytes: number }> {
    await this.collect();
    let rendererPeakBytes = 0;
    let rendererHeldBytes = 0;
    for (const { pid, idle } of this.renderers) {
      try {
        rendererPeakBytes += peakRssOf(pid) - idle;
        rendererHeldBytes += rssOf(pid) - idle;
      } catch {
        // a spare renderer Chromium let go
      }
    }
    return { heapBytes: (await this.heapUsed()) - this.idleHeap, rendererPeakBytes, rendererHeldBytes };
  }

  async dispose(): Promise<void> {
    await this.pageSession.detach();
    await this.browserSession.detach();
  }

  private async rendererPids(): Promise<number[]> {
    const { processInfo } = await this.browserSession.send('SystemInfo.getProcessInfo') as { processInfo: { type: string; id: number }[] };
    return processInfo.filter((p) => p.type === 'renderer').map((p) => p.id);
  }

  private async collect(): Promise<void> {
    await this.pageSession.send('HeapProfiler.collectGarbage');
  }
}
