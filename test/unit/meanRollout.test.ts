// Rollout rows and columns stepped through each layer's kept mean over heads equal those stepped
// through the heads (the existing path) and the rows of the whole rollout matrix, within the mean's
// rounding; the views read kept means instead of layers wherever a mean answers the request.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { meanOverHeads, rollout } from '../../src/attention';
import { keepMean, type KeptMean, type MeanAccess, type MeanPrecision } from '../../src/attention/headMeans';
import { FLOAT16_MAX_RELATIVE_ERROR, FLOAT16_MAX_SUBNORMAL_ERROR, decodeFloat16 } from '../../src/attention/quantize';
import { RolloutRows } from '../../src/attention/rolloutRows';
import { AttentionViews, type AttentionShape } from '../../src/attention/views';
import type { Aggregation, AttentionChoice, AttentionReply, AttentionRequest } from '../../src/protocol';
import { float16Bound, float32Bound, l1Distance, maxRelativeExcess } from './meanBounds';
import { randomLayer, randomSource } from './randomAttention';

interface Case {
  name: string;
  T: number;
  heads: number;
  layers: Float32Array[];
  causal: boolean;
}

function randomCase(seed: number, causal: boolean, sparsity: number, T = 37, heads = 4, layers = 5): Case {
  const random = randomSource(seed);
  const data = Array.from({ length: layers }, () => randomLayer(random, heads, T, causal, sparsity));
  return { name: `${causal ? 'causal' : 'bidirectional'}, sparsity ${sparsity}`, T, heads, layers: data, causal };
}

const CASES = [randomCase(3, false, 0), randomCase(4, true, 0), randomCase(5, false, 0.7), randomCase(6, true, 0.5)];

function meansOf(c: Case, precision: MeanPrecision, kept = c.layers.length): MeanAccess {
  const means: KeptMean[] = c.layers.map((layer) => keepMean(layer, c.heads, c.T, precision));
  return { keeps: (l) => l < kept, mean: (l) => means[l] };
}

function unit(T: number, t: number): Float64Array {
  const out = new Float64Array(T);
  out[t] = 1;
  return out;
}

describe('rollout through kept means', () => {
  for (const c of CASES) {
    it(`float32 means give the rows and columns of the heads and of the whole matrix within float32 rounding (${c.name})`, () => {
      const L = c.layers.length;
      const heads = new RolloutRows(c.T, c.heads, (l) => c.layers[l]);
      const means = new RolloutRows(c.T, c.heads, () => assert.fail('no layer is read'), meansOf(c, 'float32'));
      const whole = rollout(c.layers, c.heads, c.T);
      for (let through = 0; through < L; through++) {
        const bound = float32Bound(through + 1);
        for (let t = 0; t < c.T; t++) {
          const row = Float32Array.from(means.row(t, through));
          const what = `layer ${through} token ${t}`;
          assert.ok(maxRelativeExcess(row, Float32Array.from(heads.row(t, through)), bound) <= 0, `row ${what}`);
          assert.ok(maxRelativeExcess(row, whole[through].subarray(t * c.T, (t + 1) * c.T), bound) <= 0, `matrix row ${what}`);
          const column = Float32Array.from(means.column(unit(c.T, t), through));
          assert.ok(maxRelativeExcess(column, Float32Array.from(heads.column(unit(c.T, t), through)), bound) <= 0, `column ${what}`);
        }
      }
    });

    it(`float16 means stay within the float16 bound of the exact rollout (${c.name})`, () => {
      const L = c.layers.length;
      const exact = new RolloutRows(c.T, c.heads, (l) => c.layers[l]);
      const means = new RolloutRows(c.T, c.heads, () => assert.fail('no layer is read'), meansOf(c, 'float16'));
      const bound = float16Bound(L, c.T);
      for (let t = 0; t < c.T; t++) {
        assert.ok(l1Distance(means.row(t, L - 1), exact.row(t, L - 1)) <= bound, `row ${t}`);
        const column = means.column(unit(c.T, t), L - 1);
        const expected = exact.column(unit(c.T, t), L - 1);
        column.forEach((v, q) => assert.ok(Math.abs(v - expected[q]) <= bound, `column ${t}[${q}]: ${v} vs ${expected[q]}`));
      }
    });
  }

  it('steps through the kept means of the first layers and the heads of the rest', () => {
    const c = CASES[2];
    const L = c.layers.length;
    const read = new Set<number>();
    const heads = new RolloutRows(c.T, c.heads, (l) => c.layers[l]);
    const some = new RolloutRows(c.T, c.heads, (l) => (read.add(l), c.layers[l]), meansOf(c, 'float32', 2));
    for (let t = 0; t < c.T; t++) {
      const row = Float32Array.from(some.row(t, L - 1));
      assert.ok(maxRelativeExcess(row, Float32Array.from(heads.row(t, L - 1)), float32Bound(L)) <= 0, `row ${t}`);
    }
    assert.deepEqual([...read].sort(), [2, 3, 4], 'only the layers without a kept mean');
  });
});

describe('AttentionViews with kept means', () => {
  const T = 23;
  const special = Array.from({ length: T }, (_, i) => i === 0 || i === T - 1);
  const c = randomCase(9, true, 0.3, T, 3, 4);
  const shape: AttentionShape = { T, heads: c.heads, layers: c.layers.length, special, causal: true };
  const choice = (aggregation: Aggregation, layer: number, hideSpecial = false): AttentionChoice => ({ layer, aggregation, head: 0, hideSpecial });

  // Views whose layer accessor fails for any layer that `needs` did not name, like the store's.
  function strictViews(means: MeanAccess): { views: AttentionViews; ask(request: AttentionRequest): AttentionReply } {
    let allowed = new Set<number>();
    const views = new AttentionViews(shape, (l) => (allowed.has(l) ? c.layers[l] : assert.fail(`layer ${l} was read`)), means);
    return { views, ask: (request) => ((allowed = new Set(views.needs(request))), views.answer(request)) };
  }

  it('names kept means instead of layers for rollout rows and the mean over heads', () => {
    const { views } = strictViews(meansOf(c, 'float32'));
    const reads = (request: AttentionRequest) => ({ layers: views.needs(request), means: views.needsKept(request) });
    assert.deepEqual(reads({ type: 'row', choice: choice('rollout', 2), token: 4, received: false }), { layers: [], means: [0, 1, 2] });
    assert.deepEqual(reads({ type: 'topk', choice: choice('rollout', 1), token: 4, received: true, k: 3 }), { layers: [], means: [0, 1] });
    assert.deepEqual(reads({ type: 'matrix', choice: choice('mean', 3), cells: 8 }), { layers: [], means: [3] });
    assert.deepEqual(reads({ type: 'row', choice: choice('max', 3), token: 1, received: false }), { layers: [3], means: [] });
    // The whole rollout matrix is a product of step matrices from the heads.
    assert.deepEqual(reads({ type: 'matrix', choice: choice('rollout', 1), cells: 8 }), { layers: [0, 1], means: [] });
    const { views: partly } = strictViews(meansOf(c, 'float32', 1));
    assert.deepEqual(partly.needs({ type: 'row', choice: choice('rollout', 2), token: 4, received: false }), [1, 2]);
    assert.deepEqual(partly.needsKept({ type: 'row', choice: choice('rollout', 2), token: 4, received: false }), [0]);
  });

  for (const precision of ['float32', 'float16'] as const) {
    it(`answers rows, columns, top-k and the mean matrix from ${precision} means as the heads do`, () => {
      const { ask } = strictViews(meansOf(c, precision));
      const reference = new AttentionViews(shape, (l) => c.layers[l]);
      const close = (a: ArrayBuffer, b: ArrayBuffer, what: string, tolerance: number) => {
        const x = new Float32Array(a);
        const y = new Float32Array(b);
        x.forEach((v, i) => assert.ok(Math.abs(v - y[i]) <= tolerance * Math.max(1, y[i]), `${what}[${i}]: ${v} vs ${y[i]}`));
      };
      // Rows renormalised over kept tokens are ratios of two rounded sums: twice the row's bound.
      const tolerance = precision === 'float32' ? 2 * float32Bound(4) : 2 * float16Bound(4, T);
      // Float32 errors are relative, so they survive renormalising over kept tokens; float16 ones
      // are bounded in sum, which dividing by a small kept share would not keep.
      for (const hideSpecial of precision === 'float32' ? [false, true] : [false]) {
        for (const received of [false, true]) {
          for (let token = 0; token < T; token++) {
            for (const aggregation of ['rollout', 'mean'] as const) {
              const request: AttentionRequest = { type: 'row', choice: choice(aggregation, 3, hideSpecial), token, received };
              const reply = ask(request) as Extract<AttentionReply, { type: 'row' }>;
              const expected = reference.answer(request) as Extract<AttentionReply, { type: 'row' }>;
              close(reply.values, expected.values, `${aggregation} ${hideSpecial} ${received} ${token}`, tolerance);
            }
          }
        }
      }
      const matrix = ask({ type: 'matrix', choice: choice('mean', 2), cells: T }) as Extract<AttentionReply, { type: 'matrix' }>;
      const kept = keepMean(c.layers[2], c.heads, T, precision);
      const expected = kept instanceof Uint16Array ? decodeFloat16(kept) : meanOverHeads(c.layers[2], c.heads, T);
      assert.deepEqual(new Float32Array(matrix.values), expected, 'the kept mean itself');
      const meanError = precision === 'float32' ? 0 : FLOAT16_MAX_RELATIVE_ERROR;
      expected.forEach((v, i) => {
        const exact = meanOverHeads(c.layers[2], c.heads, T)[i];
        assert.ok(Math.abs(v - exact) <= exact * meanError + (meanError && FLOAT16_MAX_SUBNORMAL_ERROR), `mean[${i}]`);
      });
    });
  }
});
