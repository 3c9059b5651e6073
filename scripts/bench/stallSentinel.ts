// A process that does nothing but watch its own event loop, beside the bench. When it misses its
// 1 ms timer for longer than a few milliseconds, the whole machine stalled (the hypervisor or the
// kernel held every process): no other process had a reason to hold it. The bench asks it for its
// gaps during each measured window and tells apart the part of a host block the sentinel shared.
// Forked by `sentinelGaps()` (stats.ts); its own messages go out only between windows.

/** A stretch of wall-clock time, in epoch milliseconds (performance.timeOrigin + now()). */
export type Span = [start: number, end: number];

/** Gaps shorter than this are a timer's ordinary lateness, not a stall. */
const MIN_GAP_MS = 2;
/** Gaps older than this are dropped (the bench asks for each window right after it). */
const KEEP_MS = 10 * 60_000;

if (require.main === module) {
  const origin = performance.timeOrigin;
  let gaps: Span[] = [];
  let last = performance.now();
  const tick = (): void => {
    const now = performance.now();
    if (now - last > MIN_GAP_MS) gaps.push([origin + last, origin + now]);
    last = now;
    setTimeout(tick, 1);
  };
  setTimeout(tick, 1);
  process.on('message', (message: { id: number; from: number; to: number }) => {
    gaps = gaps.filter(([, end]) => end > origin + performance.now() - KEEP_MS);
    process.send!({ id: message.id, gaps: gaps.filter(([start, end]) => end > message.from && start < message.to) });
  });
  process.on('disconnect', () => process.exit(0));
}
