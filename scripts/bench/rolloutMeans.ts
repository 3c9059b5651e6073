// What the store's kept means over heads buy: the time and bytes of a rollout row, a rollout column
// and the mean view, answered by the engine's attention store with the real views, on seeded random
// attention of the Qwen2.5-0.5B shape (24 layers × 14 heads). One synthetic layer is put for every
// layer, as scripts/bench/rolloutCost.ts does, so only one T×T×heads layer is in memory; each put
// still takes and keeps its own mean. Run: node --import tsx scripts/bench/rolloutCost.ts means
// [T,T,…] [--before]. Each configuration is one way the store keeps the inspection:
//   float32  float32 layers and means (the store's mode when all of it fits, e.g. 512 tokens);
//   float16  means as float16, the layers recomputed on demand (what 2048 and 4096 tokens get under
//            the default budget: float16 layers and recompute both keep float16 means, and views
//            that read means read no layer, so the two modes answer these views alike);
//   none     no means (--before): rollout steps through the heads of float32 layers, as it did
//            before the means were kept; a real float16 or recompute store adds decoding or an
//            onnxruntime run per layer on top, so this is the old path's floor.
import { loadavg } from 'node:os';
import { AttentionStore } from '../../src/engine/attentionStore';
import { layerBytes, meanBytes } from '../../src/engine/storeBudget';
import type { AttentionReply, AttentionRequest, StoreMode } from '../../src/protocol';
import { randomLayer, randomSource } from '../../test/unit/randomAttention';

const LAYERS = 24;
const HEADS = 14;
const REPEATS = 5;
const MATRIX_CELLS = 512;

type Keeping = 'float32' | 'float16' | 'none';

interface Timing {
  what: string;
  ms: number[];
  /** This process's CPU time over the same spans: what the work costs whatever else the machine runs. */
  cpuMs: number[];
  bytes: number;
}

function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function replyBytes(reply: AttentionReply): number {
  return Object.values(reply).reduce((sum: number, v) => sum + (v instanceof ArrayBuffer ? v.byteLength : 0), 0);
}

// The budget that makes the store keep an inspection of T tokens the way `keeping` says.
function budgetFor(keeping: Keeping, T: number): { budget: number; mode: StoreMode } {
  const shape = { layers: LAYERS, heads: HEADS, T };
  const layer = layerBytes(shape);
  if (keeping === 'float32') return { budget: LAYERS * (layer + meanBytes(shape, 'float32')), mode: 'float32' };
  if (keeping === 'float16') return { budget: layer + LAYERS * meanBytes(shape, 'float16'), mode: 'recompute' };
  return { budget: 0, mode: 'recompute' };
}

async function timeConfiguration(T: number, causal: boolean, keeping: Keeping, layer: Float32Array, repeats: number): Promise<Timing[]> {
  const { budget, mode } = budgetFor(keeping, T);
  const store = new AttentionStore(budget);
  const shape = { T, heads: HEADS, layers: LAYERS, special: new Array<boolean>(T).fill(false), causal };
  if (store.open(1, shape, async () => layer) !== mode) throw new Error(`the store did not keep ${keeping} as ${mode}`);
  const puts: number[] = [];
  const putsCpu: number[] = [];
  for (let l = 0; l < LAYERS; l++) {
    const start = performance.now();
    const cpu = cpuMs();
    store.put(1, l, layer);
    puts.push(performance.now() - start);
    putsCpu.push(cpuMs() - cpu);
  }
  store.end(1);
  const usage = store.usage(1)!;
  if (keeping !== 'none' && usage.meanBytes !== LAYERS * meanBytes(shape, keeping)) throw new Error('the means are not all kept');
  // The put's "bytes" are every mean the store keeps.
  const out: Timing[] = [{ what: 'put (a layer and its mean)', ms: puts, cpuMs: putsCpu, bytes: usage.meanBytes }];
  const time = async (what: string, requests: AttentionRequest[]) => {
    const ms: number[] = [];
    const cpu: number[] = [];
    let bytes = 0;
    for (const request of requests) {
      const start = performance.now();
      const startCpu = cpuMs();
      bytes = replyBytes(await store.view(1, request));
      ms.push(performance.now() - start);
      cpu.push(cpuMs() - startCpu);
    }
    out.push({ what, ms, cpuMs: cpu, bytes });
  };
  const last = LAYERS - 1;
  const rollout = (token: number, received = false): AttentionRequest =>
    ({ type: 'row', choice: { layer: last, aggregation: 'rollout', head: 0, hideSpecial: false }, token, received });
  const tokens = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);
  // The last token reads the most of a causal model; the first row through a layer also profiles its rows.
  await time('rollout row, first (last token)', [rollout(T - 1)]);
  await time('rollout row (last tokens)', tokens(T - 1 - repeats, repeats).map((t) => rollout(t)));
  await time('rollout row (middle tokens)', tokens(T >> 1, repeats).map((t) => rollout(t)));
  await time('rollout column (middle tokens)', tokens(T >> 1, repeats).map((t) => rollout(t, true)));
  const mean = (layer: number): AttentionRequest =>
    ({ type: 'matrix', choice: { layer, aggregation: 'mean', head: 0, hideSpecial: false }, cells: MATRIX_CELLS });
  // Each layer's first mean view decodes a float16 mean; flipping back to one is cached.
  await time(`mean view, ${MATRIX_CELLS}² cells (a new layer each)`, tokens(last - repeats + 1, repeats).map(mean));
  await time(`mean view, ${MATRIX_CELLS}² cells (the last one again)`, new Array<number>(repeats).fill(last).map(mean));
  const meanRow = (layer: number, token: number): AttentionRequest =>
    ({ type: 'row', choice: { layer, aggregation: 'mean', head: 0, hideSpecial: false }, token, received: false });
  await time('mean row', tokens(0, repeats).map((i) => meanRow(last - i, T - 1 - i)));
  store.release(1);
  return out;
}

/** Times each configuration at each T, bidirectional and causal, printing medians and the load average. */
export async function timeMeans(Ts: number[], before: boolean): Promise<void> {
  const configurations: Keeping[] = before ? ['float32', 'float16', 'none'] : ['float32', 'float16'];
  console.log(`${LAYERS} layers × ${HEADS} heads; medians of ${REPEATS} requests unless one; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  for (const T of Ts) {
    for (const causal of [false, true]) {
      const layer = randomLayer(randomSource(7), HEADS, T, causal);
      for (const keeping of configurations) {
        // Without means a request takes seconds to a minute at long inputs: fewer of them.
        const repeats = keeping === 'none' && T > 1024 ? 1 : REPEATS;
        const rows = await timeConfiguration(T, causal, keeping, layer, repeats);
        for (const row of rows) {
          const spread = row.ms.length > 1 ? ` (${Math.min(...row.ms).toFixed(1)}–${Math.max(...row.ms).toFixed(1)}, ${row.ms.length})` : '';
          console.log(`T=${T} ${causal ? 'causal' : 'bidirectional'} means ${keeping}: ${row.what}: ${median(row.ms).toFixed(1)} ms${spread}, ` +
            `CPU ${median(row.cpuMs).toFixed(1)} ms, ${row.bytes} bytes`);
        }
        console.log(`  load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
      }
    }
  }
}
