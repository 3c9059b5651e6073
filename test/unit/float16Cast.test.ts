// Float16 attention rounded by onnxruntime: the Cast gives the bits the JavaScript encoder gives, for
// every kind of float32 (ties, subnormals, overflow, signed zeros) and for every fixture's real
// attention, staged or run whole; the pipeline hands such layers over when asked, and they stay
// within float16 rounding of the golden attention.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Tensor } from 'onnxruntime-node';
import { decodeFloat16, encodeFloat16, FLOAT16_MAX_RELATIVE_ERROR, FLOAT16_MAX_SUBNORMAL_ERROR } from '../../src/attention/quantize';
import { Float16Cast } from '../../src/engine/float16Cast';
import { Pipeline } from '../../src/engine/pipeline';
import type { LayerAttention, LayerPrecision } from '../../src/protocol';
import { FIXTURES, MODELS_DIR, golden } from './fixtures';

/** The first index where two bit arrays differ, or -1. */
function firstDifference(a: Uint16Array, b: Uint16Array): number {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

/** Float32 values from their bit patterns. */
function fromBits(words: number[] | Uint32Array): Float32Array {
  return new Float32Array(Uint32Array.from(words).buffer);
}

async function inspect(pipeline: Pipeline, fixture: string, text: string, precision: LayerPrecision): Promise<LayerAttention[]> {
  const layers: LayerAttention[] = [];
  await pipeline.inspect({ model: path.join(MODELS_DIR, fixture), text, provider: 'cpu' },
    { layerPrecision: () => precision, onLayer: (layer) => { layers[layer.layer] = layer; } });
  return layers;
}

describe('float16 attention from onnxruntime', () => {
  let cast: Float16Cast;
  before(async () => { cast = await Float16Cast.open(); });
  after(() => cast.release());

  it('rounds as encodeFloat16 does: to nearest, ties to even, subnormals, overflow and signed zeros included', async () => {
    const edges = fromBits([
      0x00000000, 0x80000000, 0x3f800000, 0xbf800000, // ±0, ±1
      0x3f801000, 0x3f803000, 0x3f800fff, 0x3f801001, // 1 + 2⁻¹¹ and 1 + 3·2⁻¹¹ (ties to even), either side of a tie
      0x33000000, 0x33000001, 0x33c00000, 0x387fc000, 0x387fe000, 0x38800000, // 2⁻²⁵ (tie to 0), just above, 3·2⁻²⁵, the subnormal/normal edge
      0x477fefff, 0x477ff000, 0x7f7fffff, 0x7f800000, 0xff800000, // below and at the overflow to Infinity, float32's max, ±Infinity
      0x00000001, 0x0000ffff, // float32 subnormals
    ]);
    assert.equal(firstDifference(await cast.bits(new Tensor('float32', edges, [edges.length])), encodeFloat16(edges)), -1);
    // Every exponent, sign and a spread of low bits: 2²⁴ patterns stepping through all 2³² (NaNs apart).
    const words = new Uint32Array(1 << 24);
    for (let i = 0; i < words.length; i++) words[i] = (i * 256 + ((i * 37) & 255)) >>> 0;
    const values = new Float32Array(words.buffer);
    const bits = await cast.bits(new Tensor('float32', values, [16, values.length / 16]));
    const js = encodeFloat16(values);
    let nans = 0;
    for (let i = 0; i < values.length; i++) {
      if (Number.isNaN(values[i])) {
        // A NaN stays a NaN; its sign and payload may differ from the encoder's one quiet NaN.
        assert.ok(Number.isNaN(decodeFloat16(bits.subarray(i, i + 1))[0]), `NaN at ${i}`);
        nans++;
      } else if (bits[i] !== js[i]) {
        assert.fail(`0x${words[i].toString(16)} (${values[i]}): onnxruntime 0x${bits[i].toString(16)}, encodeFloat16 0x${js[i].toString(16)}`);
      }
    }
    assert.ok(nans > 0);
  });

  for (const fixture of FIXTURES) {
    it(`${fixture}: the pipeline's float16 layers are the JavaScript encoding of its float32 ones, and near the golden`, async () => {
      const pipeline = new Pipeline();
      try {
        const prompt = golden(fixture)[0];
        const exact = await inspect(pipeline, fixture, prompt.text, 'float32');
        const half = await inspect(pipeline, fixture, prompt.text, 'float16');
        assert.equal(half.length, exact.length);
        const T = prompt.input_ids.length;
        half.forEach((layer, l) => {
          assert.equal(layer.precision, 'float16');
          assert.equal(exact[l].precision, 'float32');
          const values = new Float32Array(exact[l].data);
          const bits = new Uint16Array(layer.data);
          assert.equal(firstDifference(bits, encodeFloat16(values)), -1, `layer ${l}`);
          decodeFloat16(bits).forEach((v, i) => {
            const golden = prompt.attentions[l][Math.floor(i / (T * T))][Math.floor(i / T) % T][i % T];
            assert.ok(Math.abs(v - values[i]) <= Math.abs(values[i]) * FLOAT16_MAX_RELATIVE_ERROR + FLOAT16_MAX_SUBNORMAL_ERROR);
            // As the store's float16 test bounds it: relative to the value, or to 10⁻³ below that.
            assert.ok(Math.abs(v - golden) / Math.max(1e-3, Math.abs(values[i])) < 1e-3, `layer ${l}[${i}]: ${v} vs golden ${golden}`);
          });
        });
      } finally {
        await pipeline.dispose();
      }
    });
  }
});
