// Repeated timings: interleaved runs and their medians.
import { fork, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Timings } from '../../src/protocol';
import { LoopGaps, type Span } from './loopGaps';

/** One run of something timed. */
export interface Sample {
  ms: number;
  /** The host thread's longest event-loop delay during the run. */
  hostBlockMs?: number;
  /**
   * The same, less the part of each delay during which the stall sentinel (a process that only
   * watches its own event loop) was held too: what is left is the host's own, not the machine's.
   */
  unsharedBlockMs?: number;
  /** GC pauses of the measuring thread during the run. */
  gcMs?: number;
  /** The engine's own account of a pipeline run, for the breakdown. */
  timings?: Timings;
  /** From the inspect call to the first layer's event on the host (scale bench). */
  firstLayerMs?: number;
}

/** A measurement the bench repeats: one call is one run. */
export interface Probe {
  name: string;
  run(): Promise<Sample>;
}

/** Times a body with the high-resolution clock. */
export async function timed(body: () => Promise<unknown>): Promise<Sample> {
  const start = performance.now();
  await body();
  return { ms: performance.now() - start };
}

// A pause between runs lets onnxruntime's spinning pool threads from the previous run park, so one
// measurement does not pay for the last one's threads (this machine may have only two cores).
const SETTLE_MS = 5;

// The watcher sees a delay only at its next 1 ms tick: a short idle margin on each side of the run
// makes every stall count.
const MARGIN_MS = 2;

/** Milliseconds of `span` covered by any of `cover` (which may overlap one another). */
function covered(span: Span, cover: Span[]): number {
  const parts = cover
    .map(([a, b]): Span => [Math.max(a, span[0]), Math.min(b, span[1])])
    .filter(([a, b]) => b > a)
    .sort((x, y) => x[0] - y[0]);
  let total = 0;
  let end = -Infinity;
  for (const [a, b] of parts) {
    if (b <= end) continue;
    total += b - Math.max(a, end);
    end = b;
  }
  return total;
}

/** The longest delay past the 1 ms tick, before and after leaving out what the sentinel shared. */
export function blocksOf(gaps: Span[], shared: Span[]): { hostBlockMs: number; unsharedBlockMs: number } {
  let hostBlockMs = 0;
  let unsharedBlockMs = 0;
  for (const gap of gaps) {
    const length = gap[1] - gap[0];
    hostBlockMs = Math.max(hostBlockMs, length - 1);
    unsharedBlockMs = Math.max(unsharedBlockMs, length - covered(gap, shared) - 1);
  }
  return { hostBlockMs, unsharedBlockMs };
}

let sentinel: { child: ChildProcess; asked: Map<number, (gaps: Span[]) => void>; next: number } | undefined;

/** The stall sentinel's gaps between `from` and `to` (epoch ms); the sentinel starts on first use. */
function sentinelGaps(from: number, to: number): Promise<Span[]> {
  if (!sentinel) {
    const child = fork(path.join(__dirname, 'stallSentinel.ts'), [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    const started = { child, asked: new Map<number, (gaps: Span[]) => void>(), next: 1 };
    child.on('message', (m: { id: number; gaps: Span[] }) => {
      started.asked.get(m.id)?.(m.gaps);
      started.asked.delete(m.id);
    });
    child.unref();
    child.channel?.unref();
    process.on('exit', () => child.kill());
    sentinel = started;
  }
  const s = sentinel;
  const id = s.next++;
  return new Promise((resolve) => {
    s.asked.set(id, resolve);
    s.child.send({ id, from, to });
  });
}

/**
 * Runs one probe with the host thread's event loop watched at 1 ms resolution. Every probe runs
 * watched, not only the pipeline: the watcher's timer wakes the host thread a thousand times a
 * second, which costs the model's threads a little CPU, and the bare and raw runs must pay that
 * too for their times to be comparable with the pipeline's.
 */
async function watched(probe: Probe): Promise<Sample> {
  const loop = new LoopGaps();
  const from = performance.timeOrigin + performance.now();
  loop.start();
  await sleep(MARGIN_MS);
  const sample = await probe.run();
  await sleep(MARGIN_MS);
  const gaps = loop.stop();
  const to = performance.timeOrigin + performance.now();
  return { ...sample, ...blocksOf(gaps, await sentinelGaps(from, to)) };
}

/** How long to warm up: at least `rounds` untimed rounds, and more until `ms` have passed. */
export interface Warmup {
  rounds: number;
  ms: number;
}

// However fast the rows, warm-up stops here (a round of the fixtures takes 30–60 ms).
const MAX_WARMUP_ROUNDS = 200;

/**
 * Runs the probes round-robin (untimed warm-up rounds, then `runs` timed ones) and returns each
 * probe's timed samples and the number of warm-up rounds. Interleaving exposes every probe to the
 * same background noise and drift, so their medians can be compared even on a busy, shared machine.
 */
export async function measureInterleaved(
  probes: Probe[], warmup: Warmup, runs: number,
): Promise<{ samples: Map<string, Sample[]>; warmupRounds: number }> {
  const round = async (): Promise<Sample[]> => {
    const out: Sample[] = [];
    for (const probe of probes) {
      await sleep(SETTLE_MS);
      out.push(await watched(probe));
    }
    return out;
  };
  const start = performance.now();
  let warmupRounds = 0;
  while (warmupRounds < warmup.rounds || (performance.now() - start < warmup.ms && warmupRounds < MAX_WARMUP_ROUNDS)) {
    await round();
    warmupRounds++;
  }
  const samples = new Map<string, Sample[]>(probes.map((p) => [p.name, []]));
  for (let i = 0; i < runs; i++) {
    (await round()).forEach((sample, p) => samples.get(probes[p].name)!.push(sample));
  }
  return { samples, warmupRounds };
}

/** The median: robust to the occasional run that the OS or the garbage collector interrupts. */
export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
