// The engine's attention store: the three ways it keeps an inspection all give the fixture's golden
// attention back (float16 whether the store or onnxruntime rounds it), the budget picks the way,
// eviction spares what the host shows, and a view of a layer not computed yet waits for it (or is
// abandoned).
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FLOAT16_MAX_RELATIVE_ERROR, FLOAT16_MAX_SUBNORMAL_ERROR } from '../../src/attention/quantize';
import { ChannelError } from '../../src/channel';
import { AttentionStore, type ViewShape, type ViewsFactory } from '../../src/engine/attentionStore';
import { Pipeline } from '../../src/engine/pipeline';
import { budgetBytes, layerBytes, meanBytes, planStore } from '../../src/engine/storeBudget';
import type { AttentionRequest } from '../../src/protocol';
import { MODELS_DIR, golden, maxAttentionDiff } from './fixtures';
import { randomLayer, randomSource } from './randomAttention';

const FIXTURE = 'tinystories-656k';
const prompt = golden(FIXTURE)[0];
const T = prompt.input_ids.length;
const LAYERS = prompt.attentions.length;
const HEADS = prompt.attentions[0].length;
const LAYER_BYTES = HEADS * T * T * 4;
const FULL = LAYERS * LAYER_BYTES;
// Each layer's mean over heads, kept beside the layers: float32 with float32 layers, else float16.
const MEANS32 = LAYERS * T * T * 4;
const MEANS16 = LAYERS * T * T * 2;
// What float32 mode holds, and what float16 mode holds before decoding any layer.
const KEPT32 = FULL + MEANS32;
const KEPT16 = FULL / 2 + MEANS16;

// A stand-in for the views module: a 'row' request reads its layer and answers that row of head 0.
const rowViews: ViewsFactory = (shape, layer) => ({
  needs: (request) => (request.type === 'row' ? [request.choice.layer] : []),
  answer: (request) => {
    if (request.type !== 'row') return { type: 'unavailable', reason: 'only rows here' };
    const data = layer(request.choice.layer);
    return { type: 'row', values: data.slice(request.token * shape.T, (request.token + 1) * shape.T).buffer };
  },
});

function rowRequest(layer: number, token: number): AttentionRequest {
  return { type: 'row', choice: { layer, aggregation: 'head', head: 0, hideSpecial: false }, token, received: false };
}

function shapeOf(tokens = T): ViewShape {
  return { T: tokens, heads: HEADS, layers: LAYERS, special: Array<boolean>(tokens).fill(false) };
}

describe('attention store', () => {
  const pipeline = new Pipeline();
  const layers: Float32Array[] = [];
  let recompute: (layer: number) => Promise<Float32Array> = () => Promise.reject(new Error('not started'));
  let recomputed = 0;
  before(async () => {
    await pipeline.inspect({ model: path.join(MODELS_DIR, FIXTURE), text: prompt.text, provider: 'cpu' }, {
      onStarted: (_started, again) => {
        recompute = (layer) => {
          recomputed++;
          return again(layer);
        };
      },
      // The run keeps its stage inputs (T × hidden per layer), from which layers are recomputed.
      keepsForRecompute: () => true,
      onLayer: (l) => { layers[l.layer] = new Float32Array(l.data); },
    });
  });
  after(() => pipeline.dispose());

  /** A store of `budget` bytes holding the fixture's run as inspection `id`; all layers delivered. */
  function filled(budget: number, id = 1): AttentionStore {
    const store = new AttentionStore(budget, rowViews);
    store.open(id, shapeOf(), recompute);
    layers.forEach((data, l) => store.put(id, l, data.slice()));
    store.end(id);
    return store;
  }

  async function storedLayers(store: AttentionStore, id = 1): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    for (let l = 0; l < LAYERS; l++) out.push((await store.layers(id, [l])).get(l)!);
    return out;
  }

  it('picks float32 when every layer and its mean fit, float16 when half of that fits, else recompute', () => {
    const shape = { layers: LAYERS, heads: HEADS, T };
    assert.equal(layerBytes(shape), LAYER_BYTES);
    assert.equal(meanBytes(shape, 'float32') * LAYERS, MEANS32);
    assert.equal(planStore(shape, KEPT32).mode, 'float32');
    assert.equal(planStore(shape, KEPT32 - 1).mode, 'float16');
    assert.equal(planStore(shape, KEPT16).mode, 'float16');
    assert.equal(planStore(shape, KEPT16 - 1).mode, 'recompute');
    const eight = { ...shape, layers: 8 };
    const eightMeans = 8 * T * T * 2;
    // Decoded layers leave room for computing a layer (three layers' worth), which the plan reserves
    // beside them so that eviction makes it too; float16 keeps one decoded layer at least.
    const sixteen = { ...shape, layers: 16 };
    assert.deepEqual(planStore(sixteen, 8 * LAYER_BYTES + 2 * eightMeans + 5 * LAYER_BYTES),
      { mode: 'float16', cacheLayers: 2, computingLayers: 2, meanLayers: 16, meanPrecision: 'float16', reserved: 13 * LAYER_BYTES + 2 * eightMeans, thumbnails: false });
    assert.equal(planStore(sixteen, 8 * LAYER_BYTES + 2 * eightMeans + 5 * LAYER_BYTES - 1).cacheLayers, 1);
    assert.equal(planStore(eight, 4 * LAYER_BYTES + eightMeans).cacheLayers, 1);
    // Recompute, just under float16's half: every mean, and one decoded layer beside computing another
    // (three layers' worth); one between recomputes in any case.
    assert.deepEqual(planStore(eight, 4 * LAYER_BYTES + eightMeans - 1),
      { mode: 'recompute', cacheLayers: 1, computingLayers: 0, meanLayers: 8, meanPrecision: 'float16', reserved: 3 * LAYER_BYTES + eightMeans, thumbnails: false });
    assert.equal(planStore(eight, 4 * LAYER_BYTES + eightMeans - 1 + 2 * LAYER_BYTES).mode, 'float16');
    assert.deepEqual(planStore(shape, 0), { mode: 'recompute', cacheLayers: 1, computingLayers: 0, meanLayers: 0, meanPrecision: 'float16', reserved: LAYER_BYTES, thumbnails: false });
    // Recompute keeps the means (float16) before a second decoded layer, and as many as fit beside one.
    // The room reserved for computing stops at the budget: all of it here.
    assert.deepEqual(planStore(eight, 2 * LAYER_BYTES), { mode: 'recompute', cacheLayers: 1, computingLayers: 0, meanLayers: 8, meanPrecision: 'float16', reserved: 2 * LAYER_BYTES, thumbnails: false });
    assert.equal(planStore(eight, LAYER_BYTES + 3 * T * T * 2 + 1).meanLayers, 3);
    assert.equal(filled(KEPT32).usage(1)?.mode, 'float32');
    assert.deepEqual(filled(KEPT32).usage(1), { mode: 'float32', bytes: KEPT32, meanBytes: MEANS32 });
    assert.deepEqual(filled(KEPT32 - 1).usage(1), { mode: 'float16', bytes: KEPT16, meanBytes: MEANS16 });
    assert.equal(filled(KEPT16 - 1).usage(1)?.mode, 'recompute');
  });

  it('the default budget is a quarter of the machine, between 256 MB and 4 GB; a setting wins', () => {
    const GB = 2 ** 30;
    assert.equal(budgetBytes(0, 8 * GB), 2 * GB);
    assert.equal(budgetBytes(0, 64 * GB), 4 * GB);
    assert.equal(budgetBytes(undefined, 512 * 2 ** 20), 256 * 2 ** 20);
    assert.equal(budgetBytes(100, 64 * GB), 100 * 2 ** 20);
  });

  it('float32 gives the golden attention (the run itself, within 1e-5)', async () => {
    const store = filled(KEPT32);
    const diff = maxAttentionDiff(prompt.attentions, await storedLayers(store), T);
    assert.ok(diff < 1e-5, `max difference ${diff}`);
    const reply = await store.view(1, rowRequest(1, T - 1));
    assert.deepEqual(new Float32Array((reply as { values: ArrayBuffer }).values), layers[1].subarray((T - 1) * T, T * T));
  });

  it('float16 gives the same within float16 rounding (relative 2^-11), and the golden within 1e-3 relative', async () => {
    const store = filled(KEPT16);
    assert.equal(store.usage(1)?.mode, 'float16');
    const back = await storedLayers(store);
    let worstRelative = 0;
    back.forEach((data, l) => data.forEach((v, i) => {
      const exact = layers[l][i];
      assert.ok(Math.abs(v - exact) <= Math.abs(exact) * FLOAT16_MAX_RELATIVE_ERROR + FLOAT16_MAX_SUBNORMAL_ERROR, `layer ${l}[${i}]: ${v} vs ${exact}`);
      worstRelative = Math.max(worstRelative, Math.abs(v - prompt.attentions[l][Math.floor(i / (T * T))][Math.floor(i / T) % T][i % T]) / Math.max(1e-3, Math.abs(exact)));
    }));
    assert.ok(worstRelative < 1e-3, `worst relative difference from golden ${worstRelative}`);
    assert.equal(store.usage(1)!.bytes, KEPT16 + LAYER_BYTES, 'stored halves, their means and one decoded layer');
  });

  it('float16 layers rounded by onnxruntime are kept as they arrive: what encoding float32 layers in the store keeps', async () => {
    const store = new AttentionStore(KEPT16, rowViews);
    let mode: string | undefined;
    await pipeline.inspect({ model: path.join(MODELS_DIR, FIXTURE), text: prompt.text, provider: 'cpu' }, {
      onStarted: (_started, again) => { mode = store.open(2, shapeOf(), again); },
      layerPrecision: () => (mode === 'float16' ? 'float16' : 'float32'),
      onLayer: (l) => {
        assert.equal(l.precision, 'float16');
        store.put(2, l.layer, new Uint16Array(l.data));
      },
    });
    store.end(2);
    assert.equal(mode, 'float16');
    assert.deepEqual(await storedLayers(store, 2), await storedLayers(filled(KEPT16)));
    assert.equal(store.usage(2)?.bytes, KEPT16 + LAYER_BYTES, 'stored halves, their means and one decoded layer');
    // Bits are kept only by an inspection kept as float16.
    const float32 = filled(KEPT32);
    assert.throws(() => float32.put(1, 0, new Uint16Array(HEADS * T * T)), (err: unknown) => err instanceof ChannelError && err.code === 'internal');
  });

  it('recompute keeps no more than its cache and gives exactly what the run gave, from the stages\' kept inputs', async () => {
    const store = filled(LAYER_BYTES / 2);
    assert.equal(store.usage(1)?.mode, 'recompute');
    // No room for a layer beside computing the next: none is kept from the run.
    assert.equal(store.usage(1)?.bytes, 0, 'no layer kept from the run');
    const before = recomputed;
    const back = await storedLayers(store);
    assert.ok(recomputed > before, 'layers were recomputed through onnxruntime');
    back.forEach((data, l) => assert.deepEqual(data, layers[l], `layer ${l} bit for bit`));
    assert.ok(maxAttentionDiff(prompt.attentions, back, T) < 1e-5);
    assert.equal(store.usage(1)?.bytes, LAYER_BYTES);
  });

  it('evicts the least recently used to fit a new inspection, never the newest nor one on screen', async () => {
    const store = new AttentionStore(2 * KEPT32, rowViews);
    const open = (id: number, onScreen: number[] = []) => {
      store.open(id, shapeOf(), recompute, onScreen);
      layers.forEach((data, l) => store.put(id, l, data));
      store.end(id);
    };
    open(1);
    open(2);
    await store.view(1, rowRequest(0, 0)); // 1 is now used more recently than 2
    open(3);
    assert.deepEqual(store.kept, [1, 3], 'the least recently used (2) went');
    open(4, [3]);
    assert.deepEqual(store.kept, [3, 4], '1 went; 3 is on screen');
    await assert.rejects(store.view(2, rowRequest(0, 0)), (err: unknown) => err instanceof ChannelError && err.code === 'attention-evicted');
    // With the budget all taken by what is on screen, the new one is still kept (recomputed), and so is 3.
    const small = new AttentionStore(KEPT32, rowViews);
    small.open(1, shapeOf(), recompute);
    assert.equal(small.open(2, shapeOf(), recompute, [1]), 'recompute');
    assert.deepEqual(small.kept, [1, 2]);
    small.release(1);
    assert.deepEqual(small.kept, [2]);
  });

  it('a view of a layer not computed yet waits for it, and is answered when it arrives', async () => {
    const store = new AttentionStore(KEPT32, rowViews);
    store.open(7, shapeOf(), recompute);
    let answered = false;
    const view = store.view(7, rowRequest(1, 2)).then((reply) => {
      answered = true;
      return reply;
    });
    store.put(7, 0, layers[0]);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(answered, false, 'layer 1 has not arrived');
    store.put(7, 1, layers[1]);
    const reply = await view;
    assert.deepEqual(new Float32Array((reply as { values: ArrayBuffer }).values), layers[1].subarray(2 * T, 3 * T));
  });

  it('a waiting view is abandoned by its signal, and fails when the run ends without its layer', async () => {
    const store = new AttentionStore(KEPT32, rowViews);
    store.open(8, shapeOf(), recompute);
    const controller = new AbortController();
    const abandoned = store.view(8, rowRequest(1, 0), controller.signal);
    const failed = store.view(8, rowRequest(1, 0));
    controller.abort();
    await assert.rejects(abandoned, (err: unknown) => err instanceof ChannelError && err.code === 'cancelled');
    store.put(8, 0, layers[0]);
    store.end(8, new ChannelError('cancelled', 'The inspection was superseded by a newer one.'));
    await assert.rejects(failed, /superseded/);
    // A layer that did arrive still answers.
    await store.view(8, rowRequest(0, 0));
  });
});

describe('recompute mode and the memory of computing a layer', () => {
  // Ten small random layers: recompute mode at budgets under float16's half (5 layers' worth).
  const shape: ViewShape = { T: 8, heads: 2, layers: 10, special: Array<boolean>(8).fill(false) };
  const layer = layerBytes(shape);
  const means = shape.layers * meanBytes(shape, 'float16');
  const random = randomSource(11);
  const layers = Array.from({ length: shape.layers }, () => randomLayer(random, shape.heads, shape.T));
  const row = (l: number): AttentionRequest => ({ type: 'row', choice: { layer: l, aggregation: 'head', head: 1, hideSpecial: false }, token: 3, received: false });

  for (const computing of [0, 1]) {
    it(`keeps ${computing} arrived layer(s) while the run computes the next (room for three layers' worth), as many while recomputing, one between`, async () => {
      const budget = means + (3 + computing) * layer;
      assert.deepEqual([planStore(shape, budget).mode, planStore(shape, budget).computingLayers, planStore(shape, budget).cacheLayers], ['recompute', computing, 1]);
      const heldWhenRecomputing: number[] = [];
      const store = new AttentionStore(budget);
      store.open(1, shape, (l) => {
        heldWhenRecomputing.push(store.usage(1)!.bytes);
        return Promise.resolve(layers[l].slice());
      });
      layers.forEach((data, l) => {
        store.put(1, l, data.slice());
        assert.equal(store.usage(1)!.bytes, (l + 1) * meanBytes(shape, 'float16') + computing * layer, `after layer ${l}`);
      });
      store.end(1);
      for (const l of [9, 9, 2, 2, 5]) {
        const reply = await store.view(1, row(l));
        assert.deepEqual(new Float32Array((reply as { values: ArrayBuffer }).values), layers[l].subarray((shape.T + 3) * shape.T, (shape.T + 4) * shape.T));
        assert.equal(store.usage(1)!.bytes, means + layer, 'the layer last read is kept');
      }
      // Layer 9 came from the run where one was kept; each other layer was recomputed once, beside no
      // more decoded layers than leave room for computing it.
      assert.deepEqual(heldWhenRecomputing, Array<number>(computing === 1 ? 2 : 3).fill(means + computing * layer));
      // The room for computing is reserved: a second inspection evicts the first rather than take it.
      assert.equal(planStore(shape, budget).reserved, budget);
      store.open(2, shape, () => Promise.reject(new Error('not needed')));
      assert.deepEqual(store.kept, [2]);
    });
  }
});
