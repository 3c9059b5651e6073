// An event loop's late ticks: a 1 ms timer that records each tick arriving more than MIN_GAP_MS
// after the last, as a span of wall-clock time. The bench watches its host thread with one during
// each measured window, and the stall sentinel (stallSentinel.ts) its own all along.

/** A stretch of wall-clock time, in epoch milliseconds (performance.timeOrigin + now()), comparable across processes. */
export type Span = [start: number, end: number];

/** Gaps this short are a timer's ordinary lateness, not a block (past the 1 ms tick, at most 1 ms late). */
export const MIN_GAP_MS = 2;

export class LoopGaps {
  private gaps: Span[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;

  start(): void {
    let last = performance.now();
    const tick = (): void => {
      const now = performance.now();
      if (now - last > MIN_GAP_MS) this.gaps.push([performance.timeOrigin + last, performance.timeOrigin + now]);
      last = now;
      this.timer = setTimeout(tick, 1);
    };
    this.timer = setTimeout(tick, 1);
  }

  /** Stops watching; returns every gap seen. */
  stop(): Span[] {
    clearTimeout(this.timer);
    return this.gaps;
  }

  /** The gaps that overlap `from`…`to`; those that ended before `from` are forgotten (windows are asked in order). */
  between(from: number, to: number): Span[] {
    this.gaps = this.gaps.filter(([, end]) => end > from);
    return this.gaps.filter(([start]) => start < to);
  }
}
