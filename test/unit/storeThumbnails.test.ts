// The attention store keeps each head's model-view thumbnail, max-pooled as its layer arrives, and
// answers the thumbnails view from them in every mode: the same values as pooling the layer as it
// arrived, with or without special tokens hidden, without decoding or recomputing any layer.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { KEPT_THUMBNAIL_SIDE, keptThumbnailBytes, poolKept, poolThumbnails } from '../../src/attention/keptThumbnails';
import { maxOf } from '../../src/attention/pool';
import { decodeFloat16, encodeFloat16 } from '../../src/attention/quantize';
import { AttentionViews, type AttentionShape } from '../../src/attention/views';
import { AttentionStore } from '../../src/engine/attentionStore';
import type { AttentionReply } from '../../src/protocol';
import { randomLayer, randomSource } from './randomAttention';

type Thumbnails = Extract<AttentionReply, { type: 'thumbnails' }>;

// More tokens than the side kept, not a multiple of it, with special tokens at both ends and one
// in the middle; one head has a single strong cell that pooling must keep visible.
const T = 307;
const HEADS = 3;
const LAYERS = 3;
const SPECIAL = Array.from({ length: T }, (_, i) => i === 0 || i === T - 1 || i === 150);
const SHAPE: AttentionShape = { T, heads: HEADS, layers: LAYERS, special: SPECIAL };

function layersOf(seed: number): Float32Array[] {
  const random = randomSource(seed);
  return Array.from({ length: LAYERS }, (_, l) => {
    const layer = randomLayer(random, HEADS, T, l === 1, 0.5);
    layer[(2 * T + 200) * T + 31] = 0.999;
    return layer;
  });
}

const LAYER_BYTES = HEADS * T * T * 4;
const THUMBNAIL_BYTES = keptThumbnailBytes(SHAPE);
const BUDGETS = {
  float32: LAYERS * (LAYER_BYTES + T * T * 4) + THUMBNAIL_BYTES,
  float16: LAYERS * (LAYER_BYTES / 2 + T * T * 2) + THUMBNAIL_BYTES,
};

// Each mode, and how its layers arrive: float16 as float32 (the store rounds them) or as half bits
// (onnxruntime rounded them); `exact` is the layer as it arrived, which the thumbnails pool.
const CASES = [
  { mode: 'float16', budget: BUDGETS.float16, halves: false },
  { mode: 'float16', budget: BUDGETS.float16, halves: true },
  { mode: 'recompute', budget: BUDGETS.float16 - 1, halves: false },
] as const;

describe('the store\'s kept thumbnails', () => {
  it('count in the budget: both variants of every head when special tokens can be hidden', () => {
    assert.equal(THUMBNAIL_BYTES, 2 * LAYERS * HEADS * KEPT_THUMBNAIL_SIDE ** 2 * 4);
    assert.equal(keptThumbnailBytes({ ...SHAPE, special: Array<boolean>(T).fill(false) }), THUMBNAIL_BYTES / 2);
    assert.equal(keptThumbnailBytes({ ...SHAPE, special: Array<boolean>(128).fill(false) }), 0, 'none where pooling would not shrink the matrix');
  });

  it('pools float16 bits to the values pooling their decoded values gives, a sign bit or NaN included', () => {
    const layer = layersOf(3)[0];
    layer[5 * T + 7] = -0.5;
    layer[T + 2] = -0;
    layer.fill(-1e-3, 9 * T, 9 * T + 4); // a bin whose cells are all negative
    layer[20 * T + 40] = Number.NaN;
    const bits = encodeFloat16(layer);
    const every = Int32Array.from({ length: T }, (_, i) => i);
    const notSpecial = every.filter((i) => !SPECIAL[i]);
    for (const [shown, hidden] of [[every, false], [notSpecial, true]] as const) {
      assert.deepEqual(poolThumbnails(bits, HEADS, T, shown, hidden), poolThumbnails(decodeFloat16(bits), HEADS, T, shown, hidden));
    }
  });

  it('float32 keeps none: its thumbnails are pooled from the resident layers, and an inspection pays nothing for them as it runs', async () => {
    const layers = layersOf(5);
    const store = new AttentionStore(BUDGETS.float32);
    assert.equal(store.open(1, SHAPE, () => Promise.reject(new Error('no recompute in float32'))), 'float32');
    layers.forEach((data, l) => store.put(1, l, data.slice()));
    store.end(1);
    assert.equal(store.usage(1)!.bytes, LAYERS * (LAYER_BYTES + T * T * 4), 'layers and means only');
    const reference = new AttentionViews(SHAPE, (l) => layers[l]);
    for (const hideSpecial of [false, true]) {
      for (const pixels of [KEPT_THUMBNAIL_SIDE, 50]) {
        const request = { type: 'thumbnails' as const, layers: [0, 1, 2], pixels, hideSpecial };
        const reply = (await store.view(1, request)) as Thumbnails;
        const expected = reference.answer(request) as Thumbnails;
        assert.deepEqual(new Float32Array(reply.values), new Float32Array(expected.values), `${pixels} px, hiding ${hideSpecial}`);
      }
    }
  });

  for (const { mode, budget, halves } of CASES) {
    it(`${mode}${halves ? ' (layers arriving as float16)' : ''}: equal max-pooling of the layer, reading no layer`, async () => {
      const layers = layersOf(7);
      const arrived = layers.map((layer) => (halves ? encodeFloat16(layer) : layer));
      const exact = arrived.map((layer) => (layer instanceof Uint16Array ? decodeFloat16(layer) : layer));
      let recomputed = 0;
      const store = new AttentionStore(budget);
      assert.equal(store.open(1, SHAPE, (layer) => {
        recomputed++;
        return Promise.resolve(layers[layer].slice());
      }), mode);
      arrived.forEach((data, l) => store.put(1, l, data.slice()));
      store.end(1);
      const held = store.usage(1)!.bytes;
      const reference = new AttentionViews(SHAPE, (l) => exact[l]);
      const every = [0, 1, 2];
      for (const hideSpecial of [false, true]) {
        // The side kept, and one that divides it: the same bins as pooling the layer directly.
        for (const pixels of [KEPT_THUMBNAIL_SIDE, KEPT_THUMBNAIL_SIDE / 2]) {
          const request = { type: 'thumbnails', layers: every, pixels, hideSpecial } as const;
          const reply = (await store.view(1, request)) as Thumbnails;
          const expected = reference.answer(request) as Thumbnails;
          assert.equal(reply.pixels, pixels);
          assert.deepEqual(new Float32Array(reply.values), new Float32Array(expected.values), `${pixels} px, hiding ${hideSpecial}`);
          assert.deepEqual(new Float32Array(reply.max), new Float32Array(expected.max));
        }
        // Any other side pools the kept thumbnails again: every pixel still a cell's maximum, so the
        // strongest cell of each head stays; a larger canvas gets the side kept and scales it.
        const small = (await store.view(1, { type: 'thumbnails', layers: [2], pixels: 50, hideSpecial })) as Thumbnails;
        const kept = (await store.view(1, { type: 'thumbnails', layers: [2], pixels: KEPT_THUMBNAIL_SIDE, hideSpecial })) as Thumbnails;
        const area = KEPT_THUMBNAIL_SIDE ** 2;
        for (let h = 0; h < HEADS; h++) {
          const again = poolKept(new Float32Array(kept.values, h * area * 4, area), 50);
          assert.deepEqual(new Float32Array(small.values, h * 2500 * 4, 2500), again);
          assert.equal(new Float32Array(small.max)[h], maxOf(again));
          assert.equal(new Float32Array(small.max)[h], new Float32Array(kept.max)[h]);
        }
        const large = (await store.view(1, { type: 'thumbnails', layers: [0], pixels: 200, hideSpecial })) as Thumbnails;
        assert.equal(large.pixels, KEPT_THUMBNAIL_SIDE);
      }
      const strongest = (await store.view(1, { type: 'thumbnails', layers: [2], pixels: 60, hideSpecial: false })) as Thumbnails;
      assert.equal(new Float32Array(strongest.max)[2], exact[2][(2 * T + 200) * T + 31], 'the one strong cell shows at 60 px');
      assert.equal(recomputed, 0, 'no layer recomputed');
      assert.equal(store.usage(1)!.bytes, held, 'no layer decoded');
      assert.ok(held >= THUMBNAIL_BYTES);
    });
  }
});
