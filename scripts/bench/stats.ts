// Repeated timings: interleaved runs and their medians.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Timings } from '../../src/protocol';

/** One run of something timed; `hostBlockMs` is reported by probes that watch the host thread. */
export interface Sample {
  ms: number;
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
      const sample = await probe.run();
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
