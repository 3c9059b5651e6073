// The engine runs below normal priority. An inspection keeps every core busy with onnxruntime's
// threads and the engine's own, while the extension host (and the editor beside it) mostly sleeps
// and wakes for a millisecond at a time. At equal priority a waking host thread queues for a core
// behind the engine's threads: at T = 512 on two cores it waited up to 50 ms at a time, which was
// its longest block, not any work of its own. Below normal priority, the scheduler gives the host
// the core as soon as it wakes, and the engine the rest (all of it when nothing else runs).
import { readdirSync } from 'node:fs';
import { constants, getPriority, setPriority } from 'node:os';

export const ENGINE_PRIORITY = constants.priority.PRIORITY_BELOW_NORMAL;

/**
 * Puts this process below normal priority (or leaves it lower, where it was started lower): every
 * thread it has now, and so every thread started later (a new thread inherits its creator's
 * priority). Returns what could not be done, if anything.
 */
export function lowerEnginePriority(): string | undefined {
  // Never raise it: a process may lower its priority but not raise it back.
  const priority = Math.max(getPriority(), ENGINE_PRIORITY);
  try {
    setPriority(priority);
  } catch (err) {
    return `could not lower the engine's priority: ${(err as Error).message}`;
  }
  // Linux sets a priority per thread: the call above reached this thread only, and Node's own
  // threads (V8's helpers, the I/O pool if started) already run. Elsewhere it reached the process.
  if (process.platform !== 'linux') return undefined;
  for (const task of readdirSync('/proc/self/task')) {
    try {
      setPriority(Number(task), priority);
    } catch {
      // a thread that ended meanwhile
    }
  }
  return undefined;
}
