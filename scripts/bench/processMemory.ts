// Resident memory of the bench's processes, read from /proc (Linux): the engine's peak over a row,
// this (host) process's peak above its level before the row, and a guard that stops the bench
// before the machine runs short. Peaks are the kernel's high-water mark (VmHWM), which catches a
// spike between two samples; writing 5 to clear_refs resets it to the present RSS, so each row
// starts from what the process holds before it rather than from the largest earlier row.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

const KB = 1024;

function statusField(pid: number | 'self', field: 'VmRSS' | 'VmHWM'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  if (!match) throw new Error(`/proc/${pid}/status has no ${field}`);
  return Number(match[1]) * KB;
}

/** Resident set size in bytes. */
export function rssOf(pid: number | 'self'): number {
  return statusField(pid, 'VmRSS');
}

/** The largest resident set size since the process started or since resetPeak, in bytes. */
export function peakRssOf(pid: number | 'self'): number {
  return statusField(pid, 'VmHWM');
}

/** Starts a new peak from the present RSS; returns that RSS. */
export function resetPeak(pid: number | 'self'): number {
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
  return rssOf(pid);
}

/** Collects this thread's garbage now (V8's gc(), reached without starting Node with --expose-gc). */
export function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

/** Bytes the machine can still give out without swapping (MemAvailable). */
export function availableMemory(): number {
  const match = /^MemAvailable:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'));
  return match ? Number(match[1]) * KB : Infinity;
}

/** Every live process below `root` (children, their children, …), from each process's parent in /proc/<pid>/stat. */
export function descendantsOf(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited while listing
    }
    // The command name is in parentheses and may hold spaces: the parent is the second field after it.
    const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
  }
  const found: number[] = [];
  const visit = (pid: number): void => {
    for (const child of children.get(pid) ?? []) {
      found.push(child);
      visit(child);
    }
  };
  visit(root);
  return found;
}

/** Limits the guard keeps: the bench's own processes together, and what the machine must keep free. */
export interface MemoryLimits {
  ownBytes: number;
  minAvailableBytes: number;
}

/**
 * Watches the bench's processes (this one and all below it: the engine, the floor, the browser)
 * twice a second and calls `stop` once when they together exceed the limit or the machine runs
 * short, so a row that grows too large ends the bench instead of the machine's other work. Pages
 * shared between processes count once per process: the sum errs on the safe side.
 */
export class MemoryGuard {
  private readonly timer: NodeJS.Timeout;
  private tripped = false;

  constructor(limits: MemoryLimits, stop: (why: string) => void) {
    this.timer = setInterval(() => {
      if (this.tripped) return;
      let own = rssOf('self');
      for (const pid of descendantsOf(process.pid)) {
        try {
          own += rssOf(pid);
        } catch {
          // exited between listing and reading
        }
      }
      const available = availableMemory();
      if (own <= limits.ownBytes && available >= limits.minAvailableBytes) return;
      this.tripped = true;
      stop(`the bench's processes hold ${(own / 1e9).toFixed(1)} GB (limit ${(limits.ownBytes / 1e9).toFixed(1)} GB) ` +
        `and the machine has ${(available / 1e9).toFixed(1)} GB available (minimum ${(limits.minAvailableBytes / 1e9).toFixed(1)} GB)`);
    }, 500);
    this.timer.unref();
  }

  dispose(): void {
    clearInterval(this.timer);
  }
}
