// A process that does nothing but watch its own event loop, beside the bench. When it misses its
// 1 ms timer for longer than a few milliseconds, the whole machine stalled (the hypervisor or the
// kernel held every process): no other process had a reason to hold it. The bench asks it for its
// gaps during each measured window and tells apart the part of a host block the sentinel shared.
// Forked by `sentinelGaps()` (stats.ts); its own messages go out only between windows.
import { LoopGaps } from './loopGaps';

const loop = new LoopGaps();
loop.start();
process.on('message', ({ id, from, to }: { id: number; from: number; to: number }) => {
  process.send!({ id, gaps: loop.between(from, to) });
});
process.on('disconnect', () => process.exit(0));
