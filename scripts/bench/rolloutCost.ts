// How long the full rollout matrix and one rollout row take on this machine: the figures behind
// AttentionViews' limit on whole-matrix rollout. Run: node --import tsx scripts/bench/rolloutCost.ts
// [full|rows|means] [T,T,…] [--before]. Layers are synthetic row-stochastic matrices; one layer
// repeated stands for all of them, which times the same arithmetic without holding L copies in
// memory. `rows` steps through the heads; `means` asks the attention store, which keeps each layer's
// mean over heads (scripts/bench/rolloutMeans.ts).
import { rollout } from '../../src/attention/rollout';
import { RolloutRows } from '../../src/attention/rolloutRows';
import { randomLayer, randomSource } from '../../test/unit/randomAttention';
import { timeMeans } from './rolloutMeans';

/** One layer of `heads` random row-stochastic T×T matrices, lower-triangular when causal. */
export function syntheticLayer(heads: number, T: number, causal: boolean, seed = 7): Float32Array {
  return randomLayer(randomSource(seed), heads, T, causal);
}

function timeFullRollout(): void {
  const heads = 12;
  const layers = 12;
  for (const T of [256, 512, 768, 1024]) {
    for (const causal of [false, true]) {
      const layer = syntheticLayer(heads, T, causal);
      const all = new Array<Float32Array>(layers).fill(layer);
      const start = performance.now();
      rollout(all, heads, T);
      const ms = performance.now() - start;
      console.log(`full rollout ${layers} layers × ${heads} heads, T=${T} ${causal ? 'causal' : 'bidirectional'}: ${ms.toFixed(0)} ms`);
    }
  }
}

// One rollout row (and column) through every layer, the first time (profiling each layer's rows)
// and again for another token (profiles cached), for the last token (causal worst case).
function timeRolloutRows(): void {
  const heads = 14;
  const layers = 24;
  for (const T of (process.argv[3] ?? "2048,4096").split(",").map(Number)) {
    for (const causal of [false, true]) {
      const layer = syntheticLayer(heads, T, causal);
      const rows = new RolloutRows(T, heads, () => layer);
      const name = `${layers} layers × ${heads} heads, T=${T} ${causal ? 'causal' : 'bidirectional'}`;
      const time = (what: string, body: () => unknown) => {
        const start = performance.now();
        body();
        console.log(`rollout ${what} ${name}: ${(performance.now() - start).toFixed(0)} ms`);
      };
      time('row, first', () => rows.row(T - 1, layers - 1));
      time('row, again', () => rows.row(T - 2, layers - 1));
      time('row, middle token', () => rows.row(T >> 1, layers - 1));
      const start = new Float64Array(T);
      start[T >> 1] = 1;
      time('column', () => rows.column(start, layers - 1));
    }
  }
}

const what = process.argv[2] ?? 'full';
if (what === 'full') timeFullRollout();
else if (what === 'means') void timeMeans((process.argv[3] ?? '512,2048,4096').split(',').map(Number), process.argv.includes('--before'));
else timeRolloutRows();
