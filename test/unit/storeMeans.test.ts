// The attention store keeps each layer's mean over heads as the layer arrives, and answers rollout
// rows, columns and top-k and the mean view from those means: on real fixtures (causal and
// bidirectional, with special tokens), in each of the store's modes, equal to the views over the
// run's layers within the means' rounding, reading no layer (in recompute mode: recomputing none).
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { meanOverHeads, rollout } from '../../src/attention';
import { AttentionViews, type AttentionShape } from '../../src/attention/views';
import { AttentionStore } from '../../src/engine/attentionStore';
import { Pipeline } from '../../src/engine/pipeline';
import { planStore } from '../../src/engine/storeBudget';
import type { AttentionChoice, AttentionReply, AttentionRequest } from '../../src/protocol';
import { MODELS_DIR, golden } from './fixtures';
import { float16Bound, float32Bound, l1Distance, maxRelativeExcess } from './meanBounds';

interface Run {
  shape: AttentionShape;
  layers: Float32Array[];
  recompute: (layer: number) => Promise<Float32Array>;
  recomputed: number;
}

type Row = Extract<AttentionReply, { type: 'row' }>;

// A causal model with several layers and a bidirectional one with [CLS] and [SEP].
for (const fixture of ['stories260k', 'bert-tiny-random']) {
  describe(`the store's means over heads (${fixture})`, () => {
    const pipeline = new Pipeline();
    const run: Run = { shape: { T: 0, heads: 0, layers: 0, special: [] }, layers: [], recompute: () => Promise.reject(new Error('not run')), recomputed: 0 };
    before(async () => {
      const prompt = golden(fixture)[1];
      await pipeline.inspect({ model: path.join(MODELS_DIR, fixture), text: prompt.text, provider: 'cpu' }, {
        onStarted: (started, again) => {
          const { model, tokens } = started;
          run.shape = { T: tokens.length, heads: model.heads, layers: model.layers, special: tokens.map((t) => t.special), causal: model.causal };
          run.recompute = (layer) => {
            run.recomputed++;
            return again(layer);
          };
        },
        keepsForRecompute: () => true,
        onLayer: (l) => { run.layers[l.layer] = new Float32Array(l.data); },
      });
    });
    after(() => pipeline.dispose());

    // The run's layers in a store of `budget` bytes with the real views, as inspection 1.
    function stored(budget: number): AttentionStore {
      const store = new AttentionStore(budget);
      store.open(1, run.shape, run.recompute);
      run.layers.forEach((data, l) => store.put(1, l, data.slice()));
      store.end(1);
      return store;
    }

    // The least each mode takes; recompute just under float16, which leaves room for every mean
    // beside a decoded layer when there are more than two layers, and for the first one with two.
    function budgets() {
      const { T, heads, layers } = run.shape;
      const layer = heads * T * T * 4;
      const float16 = layers * (layer / 2 + T * T * 2);
      return { float32: layers * (layer + T * T * 4), float16, recompute: float16 - 1 };
    }

    const rowRequest = (layer: number, token: number, received: boolean, hideSpecial = false): AttentionRequest =>
      ({ type: 'row', choice: { layer, aggregation: 'rollout', head: 0, hideSpecial }, token, received });

    it('float32: rollout rows and columns equal the heads\' and the whole matrix\'s within float32 rounding, from the means alone', async () => {
      const { T, heads, layers: L } = run.shape;
      assert.ok(run.shape.special.some(Boolean), 'the fixture has special tokens to hide');
      const store = stored(budgets().float32);
      assert.deepEqual(store.usage(1), { mode: 'float32', bytes: budgets().float32, meanBytes: L * T * T * 4 });
      // The views over the run's layers without kept means: the rollout as it was computed before.
      const reference = new AttentionViews(run.shape, (l) => run.layers[l]);
      const whole = rollout(run.layers, heads, T);
      for (let layer = 0; layer < L; layer++) {
        for (let token = 0; token < T; token++) {
          for (const received of [false, true]) {
            for (const hideSpecial of [false, true]) {
              // The store pins only the layers a view names, and the views name none here: reading one would fail.
              const request = rowRequest(layer, token, received, hideSpecial);
              const reply = new Float32Array(((await store.view(1, request)) as Row).values);
              const expected = new Float32Array((reference.answer(request) as Row).values);
              // Renormalising over kept tokens divides by a sum with the same relative bound.
              const bound = float32Bound(layer + 1) * (hideSpecial ? 2 : 1);
              assert.ok(maxRelativeExcess(reply, expected, bound) <= 0, `layer ${layer} token ${token} ${received ? 'column' : 'row'} hiding ${hideSpecial}`);
            }
          }
          const row = new Float32Array(((await store.view(1, rowRequest(layer, token, false))) as Row).values);
          assert.ok(maxRelativeExcess(row, whole[layer].subarray(token * T, (token + 1) * T), float32Bound(layer + 1)) <= 0, `matrix row ${token}`);
        }
      }
    });

    // With two layers, recompute keeps the first mean and reads the second layer's heads: recomputed
    // once (no layer is kept from the run where computing the next leaves no room), then kept.
    it('float16 and recompute: rollout rows within the float16 bound, and recompute recomputes only layers without a kept mean', async () => {
      const { T, layers: L } = run.shape;
      const exact = new AttentionViews(run.shape, (l) => run.layers[l]);
      for (const mode of ['float16', 'recompute'] as const) {
        const store = stored(budgets()[mode]);
        assert.equal(store.usage(1)?.mode, mode);
        const kept = planStore(run.shape, budgets()[mode]).meanLayers;
        assert.equal(kept, mode === 'float16' || L > 2 ? L : L - 1);
        assert.equal(store.usage(1)?.meanBytes, kept * T * T * 2);
        const before = run.recomputed;
        for (let token = 0; token < T; token++) {
          for (const received of [false, true]) {
            const request = rowRequest(L - 1, token, received);
            const reply = new Float32Array(((await store.view(1, request)) as Row).values);
            const expected = new Float32Array((exact.answer(request) as Row).values);
            const distance = received ? Math.max(...reply.map((v, i) => Math.abs(v - expected[i]))) : l1Distance(reply, expected);
            assert.ok(distance <= float16Bound(L, T), `${mode} token ${token} ${received ? 'column' : 'row'}: ${distance}`);
          }
          const choice: AttentionChoice = { layer: L - 1, aggregation: 'rollout', head: 0, hideSpecial: false };
          // The k-th largest moves no more than the values do; tokens may swap only where weights are that close.
          const top = (await store.view(1, { type: 'topk', choice, token, received: false, k: 3 })) as Extract<AttentionReply, { type: 'topk' }>;
          const best = exact.answer({ type: 'topk', choice, token, received: false, k: 3 }) as Extract<AttentionReply, { type: 'topk' }>;
          const exactRow = new Float32Array((exact.answer(rowRequest(L - 1, token, false)) as Row).values);
          top.weights.forEach((w, i) => {
            assert.ok(Math.abs(w - best.weights[i]) <= float16Bound(L, T), `top-k weight ${i}`);
            assert.ok(Math.abs(exactRow[top.tokens[i]] - best.weights[i]) <= 2 * float16Bound(L, T), `top-k token ${i}`);
          });
        }
        assert.equal(run.recomputed, before + (mode === 'recompute' ? L - kept : 0), `${mode}: only layers without a kept mean were recomputed, once`);
      }
    });

    it('answers the mean over heads from the kept mean: exactly in float32, within float16 rounding otherwise', async () => {
      const { T, heads, layers: L } = run.shape;
      for (const mode of ['float32', 'float16', 'recompute'] as const) {
        const store = stored(budgets()[mode]);
        const before = run.recomputed;
        for (let layer = 0; layer < L; layer++) {
          const choice: AttentionChoice = { layer, aggregation: 'mean', head: 0, hideSpecial: false };
          const reply = await store.view(1, { type: 'matrix', choice, cells: T });
          assert.ok(reply.type === 'matrix' && !reply.pooled);
          const values = new Float32Array(reply.values);
          const exact = meanOverHeads(run.layers[layer], heads, T);
          if (mode === 'float32') assert.deepEqual(values, exact);
          else values.forEach((v, i) => assert.ok(Math.abs(v - exact[i]) <= exact[i] * 2 ** -11 + 2 ** -25, `${mode} layer ${layer}[${i}]`));
          const row = await store.view(1, { type: 'row', choice, token: T - 1, received: false });
          assert.deepEqual(new Float32Array((row as Row).values), values.slice((T - 1) * T));
        }
        const unkept = L - planStore(run.shape, budgets()[mode]).meanLayers;
        assert.equal(run.recomputed, before + (mode === 'recompute' ? unkept : 0), `${mode}: only layers without a kept mean were recomputed, once`);
      }
    });
  });
}
