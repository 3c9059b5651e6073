// Garbage-collection time of the current thread, attributable to time windows. Attention outputs are
// large external ArrayBuffers, and V8 collects when external memory grows, so a run can pay for
// collecting earlier runs' matrices; the bench reports that share separately.
import { PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';

/** Records this thread's GC pauses from now on. */
export class GcWatch {
  private entries: PerformanceEntry[] = [];
  private readonly observer = new PerformanceObserver((list) => this.entries.push(...list.getEntries()));

  constructor() {
    this.observer.observe({ entryTypes: ['gc'] });
  }

  /**
   * Milliseconds of GC that started within [start, end] (performance.now() times), then forgets them.
   * Entries arrive asynchronously: call it after yielding to the event loop once the window closed.
   */
  take(start: number, end: number): number {
    const inside = this.entries.filter((e) => e.startTime >= start && e.startTime <= end);
    this.entries = this.entries.filter((e) => e.startTime > end);
    return inside.reduce((sum, e) => sum + e.duration, 0);
  }

  dispose(): void {
    this.observer.disconnect();
  }
}
