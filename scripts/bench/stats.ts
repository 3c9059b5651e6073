// Repeated timings: interleaved runs and their medians.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Timings } from '../../src/protocol';

/** One run of something timed. */
export interface Sample {
  ms: number;
  /** The host thread's longest event-loop delay during the run. */
  hostBlockMs?: number;
  /** GC pauses of the measuring thread during the run. */
  gcMs?: number;
  /** The engine's own account of a pipeline run, for the breakdown. */
  timings?: Timings;
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

// The event-loop histogram records a delay only at its next 1 ms tick, and drops the first interval
// after enable(): a short idle margin on each side of the run makes every stall count.
const MARGIN_MS = 2;

/**
 * Runs one probe with the host thread's event loop watched at 1 ms resolution. Every probe runs
 * watched, not only the pipeline: the watcher's timer wakes the host thread a thousand times a
 * second, which costs the model's threads a little CPU, and the bare and raw runs must pay that
 * too for their times to be comparable with the pipeline's.
 */
async function watched(probe: Probe): Promise<Sample> {
  // A fresh histogram per run: a disabled one still counts a stall that happens while it is off.
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  await sleep(MARGIN_MS);
  const sample = await probe.run();
  await sleep(MARGIN_MS);
  delay.disable();
  return { ...sample, hostBlockMs: delay.max / 1e6 };
}

/**
 * Runs the probes round-robin (`warmup` untimed rounds, then `runs` timed ones) and returns each
 * probe's timed samples. Interleaving exposes every probe to the same background noise and drift, so
 * their medians can be compared even on a busy, shared machine.
 */
export async function measureInterleaved(probes: Probe[], warmup: number, runs: number): Promise<Map<string, Sample[]>> {
  const samples = new Map<string, Sample[]>(probes.map((p) => [p.name, []]));
  for (let round = 0; round < warmup + runs; round++) {
    for (const probe of probes) {
      await sleep(SETTLE_MS);
      const sample = await watched(probe);
      if (round >= warmup) samples.get(probe.name)!.push(sample);
    }
  }
  return samples;
}

/** The median: robust to the occasional run that the OS or the garbage collector interrupts. */
export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
