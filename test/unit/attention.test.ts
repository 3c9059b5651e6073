import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  FLOAT16_MAX_RELATIVE_ERROR,
  FLOAT16_MAX_SUBNORMAL_ERROR,
  UINT8_MAX_ERROR,
  decodeFloat16,
  dequantizeProbabilities,
  dequantizeUint8,
  encodeFloat16,
  finalRollout,
  fromFloat16,
  hideTokens,
  maxOverHeads,
  meanOverHeads,
  normalizeRows,
  quantizeProbabilities,
  quantizeUint8,
  residualAttention,
  rollout,
  selectHead,
  toFloat16,
  topK,
} from '../../src/attention';
import { randomLayer, randomSource } from './randomAttention';

// The textbook definition, written independently of the optimised kernel it checks.
function referenceRollout(layers: Float32Array[], heads: number, T: number): number[][][] {
  const out: number[][][] = [];
  let product: number[][] = [];
  layers.forEach((layer, l) => {
    const step: number[][] = [];
    for (let i = 0; i < T; i++) {
      const row: number[] = [];
      for (let j = 0; j < T; j++) {
        let sum = 0;
        for (let h = 0; h < heads; h++) sum += layer[(h * T + i) * T + j];
        row.push(sum / heads + (i === j ? 1 : 0));
      }
      const total = row.reduce((a, b) => a + b, 0);
      step.push(row.map((v) => v / total));
    }
    product = l === 0 ? step : step.map((row) => product[0].map((_, j) => row.reduce((s, w, k) => s + w * product[k][j], 0)));
    out.push(product);
  });
  return out;
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance = 1e-6): void {
  assert.equal(actual.length, expected.length, 'length');
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= tolerance, `[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}

function rowSums(m: Float32Array, rows: number, cols: number): number[] {
  return Array.from({ length: rows }, (_, r) => m.subarray(r * cols, (r + 1) * cols).reduce((a, b) => a + b, 0));
}

describe('aggregating heads', () => {
  // head 0 = [[1, 0], [0.5, 0.5]], head 1 = [[0, 1], [0.25, 0.75]]
  const layer = new Float32Array([1, 0, 0.5, 0.5, 0, 1, 0.25, 0.75]);

  it('averages heads cell by cell', () => {
    // [[(1+0)/2, (0+1)/2], [(0.5+0.25)/2, (0.5+0.75)/2]]
    assert.deepEqual(Array.from(meanOverHeads(layer, 2, 2)), [0.5, 0.5, 0.375, 0.625]);
  });

  it('takes the largest head cell by cell', () => {
    assert.deepEqual(Array.from(maxOverHeads(layer, 2, 2)), [1, 1, 0.5, 0.75]);
  });

  it('selects a head as a view into the same memory', () => {
    const copy = layer.slice();
    const head = selectHead(copy, 2, 2, 1);
    assert.deepEqual(Array.from(head), [0, 1, 0.25, 0.75]);
    head[0] = 9;
    assert.equal(copy[4], 9);
    assert.equal(head.buffer, copy.buffer);
  });

  it('rejects shapes that do not match and heads out of range', () => {
    assert.throws(() => meanOverHeads(layer, 3, 2), RangeError);
    assert.throws(() => selectHead(layer, 2, 2, 2), RangeError);
  });

  it('keeps the mean between min and max and rows summing to 1', () => {
    const random = randomSource(7);
    const heads = 5, T = 9;
    const l = randomLayer(random, heads, T);
    const mean = meanOverHeads(l, heads, T);
    const max = maxOverHeads(l, heads, T);
    for (let cell = 0; cell < T * T; cell++) {
      const values = Array.from({ length: heads }, (_, h) => l[h * T * T + cell]);
      assert.ok(mean[cell] >= Math.min(...values) && mean[cell] <= Math.max(...values), `cell ${cell}`);
      assert.equal(max[cell], Math.max(...values));
    }
    assertClose(rowSums(mean, T, T), new Array(T).fill(1));
  });
});

describe('rollout', () => {
  // Layer 0: head 0 = [[0.6, 0.4], [0.2, 0.8]], head 1 = [[0.2, 0.8], [0.6, 0.4]]
  //   mean = [[0.4, 0.6], [0.4, 0.6]]; + I = [[1.4, 0.6], [0.4, 1.6]]; rows / 2:
  //   A'0 = [[0.7, 0.3], [0.2, 0.8]]
  // Layer 1: head 0 = [[0, 1], [1, 0]], head 1 = [[0, 1], [0, 1]]
  //   mean = [[0, 1], [0.5, 0.5]]; + I = [[1, 1], [0.5, 1.5]]; rows / 2:
  //   A'1 = [[0.5, 0.5], [0.25, 0.75]]
  // rollout_1 = A'1 · A'0
  //   row 0 = [0.5·0.7 + 0.5·0.2,   0.5·0.3 + 0.5·0.8]   = [0.45,  0.55]
  //   row 1 = [0.25·0.7 + 0.75·0.2, 0.25·0.3 + 0.75·0.8] = [0.325, 0.675]
  // (A'0 · A'1 would give row 0 = [0.425, 0.575]: the order of the product is checked.)
  const layer0 = new Float32Array([0.6, 0.4, 0.2, 0.8, 0.2, 0.8, 0.6, 0.4]);
  const layer1 = new Float32Array([0, 1, 1, 0, 0, 1, 0, 1]);

  it('matches a 2-layer, 2-head, 2-token example worked by hand', () => {
    const [first, second] = rollout([layer0, layer1], 2, 2);
    assertClose(first, [0.7, 0.3, 0.2, 0.8]);
    assertClose(second, [0.45, 0.55, 0.325, 0.675]);
    assertClose(finalRollout([layer0, layer1], 2, 2), [0.45, 0.55, 0.325, 0.675]);
    assertClose(residualAttention(layer1, 2, 2), [0.5, 0.5, 0.25, 0.75], 1e-12);
  });

  it('is the identity when every token attends only to itself', () => {
    const T = 6;
    const eye = new Float32Array(T * T);
    for (let i = 0; i < T; i++) eye[i * T + i] = 1;
    const layer = new Float32Array(3 * T * T);
    for (let h = 0; h < 3; h++) layer.set(eye, h * T * T);
    for (const product of rollout([layer, layer, layer], 3, T)) assert.deepEqual(product, eye);
    assert.deepEqual(finalRollout([], 3, T), eye);
  });

  it('agrees with the textbook definition for sizes that hit every kernel edge', () => {
    const random = randomSource(42);
    for (const T of [1, 2, 3, 4, 5, 6, 7, 9, 13, 18]) {
      for (const causal of [false, true]) {
        const heads = 3;
        const layers = Array.from({ length: 4 }, () => randomLayer(random, heads, T, causal, 0.3));
        const actual = rollout(layers, heads, T);
        const expected = referenceRollout(layers, heads, T);
        actual.forEach((m, l) => assertClose(m, expected[l].flat(), 1e-6));
        assertClose(rowSums(actual[3], T, T), new Array(T).fill(1));
        if (causal) {
          for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) assert.equal(actual[3][i * T + j], 0);
        }
      }
    }
  });

  it('rejects a layer of the wrong size', () => {
    assert.throws(() => rollout([layer0, new Float32Array(3)], 2, 2), RangeError);
  });
});

describe('normalising rows and hiding tokens', () => {
  it('scales rows to sum to 1, leaves zero rows zero and the input untouched', () => {
    const m = new Float32Array([1, 3, 0, 0]);
    assert.deepEqual(Array.from(normalizeRows(m, 2)), [0.25, 0.75, 0, 0]);
    assert.deepEqual(Array.from(m), [1, 3, 0, 0]);
    // 3×2: [2, 2] → [0.5, 0.5]; [1, 0] → [1, 0]; [0, 5] → [0, 1]
    assert.deepEqual(Array.from(normalizeRows(new Float32Array([2, 2, 1, 0, 0, 5]), 3, 2)), [0.5, 0.5, 1, 0, 0, 1]);
  });

  it('makes random rows sum to 1', () => {
    const random = randomSource(3);
    const T = 50;
    const m = Float32Array.from({ length: T * T }, () => random() * 10);
    assertClose(rowSums(normalizeRows(m, T), T, T), new Array(T).fill(1));
  });

  // Tokens [CLS] a b; hiding [CLS] (index 0):
  //   [[0.5, 0.25, 0.25],      keep rows/cols 1, 2:  [[0.1, 0.3],   sums 0.4, 0.8:  [[0.25, 0.75],
  //    [0.6, 0.1,  0.3 ],  →                         [0.6, 0.2]]  →                 [0.75, 0.25]]
  //    [0.2, 0.6,  0.2 ]]
  const m = new Float32Array([0.5, 0.25, 0.25, 0.6, 0.1, 0.3, 0.2, 0.6, 0.2]);

  it('drops hidden rows and columns and renormalises what is left', () => {
    for (const hidden of [new Set([0]), [true, false, false]]) {
      const visible = hideTokens(m, 3, hidden);
      assert.equal(visible.size, 2);
      assert.deepEqual(visible.kept, [1, 2]);
      assertClose(visible.matrix, [0.25, 0.75, 0.75, 0.25]);
    }
  });

  it('leaves a row zero when it attended only to hidden tokens', () => {
    // [[0, 1], [0, 1]] hiding token 1: row 0 keeps [0], which has nothing to scale (not NaN).
    assert.deepEqual(Array.from(hideTokens(new Float32Array([0, 1, 0, 1]), 2, new Set([1])).matrix), [0]);
    assert.deepEqual(hideTokens(m, 3, new Set([0, 1, 2])), { matrix: new Float32Array(0), size: 0, kept: [] });
  });
});

describe('top-k keys', () => {
  const row = new Float32Array([0.1, 0.4, 0.1, 0.4]);

  it('sorts by weight, breaking ties by lower index', () => {
    assert.deepEqual(
      topK(row, 3).map((k) => k.index),
      [1, 3, 0],
    );
    assert.deepEqual(topK(row, 1), [{ index: 1, weight: row[1] }]);
  });

  it('skips excluded keys and NaN, and copes with k beyond the row or below 1', () => {
    assert.deepEqual(topK(row, 3, new Set([1])).map((k) => k.index), [3, 0, 2]);
    assert.deepEqual(topK(row, 9, [false, true, false, true]).map((k) => k.index), [0, 2]);
    assert.equal(topK(row, 10).length, 4);
    assert.deepEqual(topK(row, 0), []);
    assert.deepEqual(topK(new Float32Array([NaN, 0.2]), 2), [{ index: 1, weight: Math.fround(0.2) }]);
  });

  it('agrees with a full sort for small and large k on rows full of ties', () => {
    const random = randomSource(11);
    const T = 200;
    const values = Float32Array.from({ length: T }, () => Math.floor(random() * 8) / 8);
    const expected = Array.from(values, (weight, index) => ({ index, weight })).sort(
      (a, b) => b.weight - a.weight || a.index - b.index,
    );
    for (const k of [1, 2, 5, 17, 64, 65, 150, 200, 500]) assert.deepEqual(topK(values, k), expected.slice(0, k), `k=${k}`);
  });
});

describe('uint8 quantisation', () => {
  it('rounds p·255 to the nearest step and clamps', () => {
    assert.equal(quantizeUint8(0), 0);
    assert.equal(quantizeUint8(1), 255);
    assert.equal(quantizeUint8(0.5), 128); // 127.5 rounds up
    assert.equal(quantizeUint8(0.25), 64); // 63.75
    assert.equal(quantizeUint8(-0.2), 0);
    assert.equal(quantizeUint8(1.5), 255);
    assert.equal(quantizeUint8(NaN), 0);
    assert.equal(dequantizeUint8(51), 0.2);
  });

  it('stays within 1/510 over many random probabilities, one by one and by the array', () => {
    const random = randomSource(2024);
    const values = Float32Array.from({ length: 100_000 }, () => random());
    const bytes = quantizeProbabilities(values);
    const back = dequantizeProbabilities(bytes);
    let worst = 0;
    for (let i = 0; i < values.length; i++) {
      const q = quantizeUint8(values[i]);
      assert.equal(bytes[i], q, `value ${values[i]}`);
      worst = Math.max(worst, Math.abs(dequantizeUint8(q) - values[i]));
      // Storing q/255 as float32 adds at most half a float32 step below 1.
      assert.ok(Math.abs(back[i] - values[i]) <= UINT8_MAX_ERROR + 2 ** -25, `value ${values[i]}`);
    }
    assert.ok(worst <= UINT8_MAX_ERROR + 1e-15, `worst ${worst}`);
    // With 100 000 samples the worst case should come close to the bound, not sit far below it.
    assert.ok(worst > 0.99 * UINT8_MAX_ERROR, `worst ${worst}`);
  });
});

describe('float16', () => {
  const known: [number, number][] = [
    [1, 0x3c00],
    [65504, 0x7bff],
    [2 ** -24, 0x0001],
    [-2, 0xc000],
    [Infinity, 0x7c00],
    [-Infinity, 0xfc00],
    [0, 0x0000],
    [-0, 0x8000],
    [2 ** -14, 0x0400], // smallest normal
    [0.333251953125, 0x3555], // the half nearest 1/3
    [65519, 0x7bff], // just under the midpoint to 65536 rounds down
    [65520, 0x7c00], // the midpoint rounds to even: 65536, which overflows to Infinity
    [1 + 2 ** -11, 0x3c00], // tie between 0x3c00 and 0x3c01: the even one
    [1 + 3 * 2 ** -11, 0x3c02], // tie between 0x3c01 and 0x3c02: the even one
    [2 ** -25, 0x0000], // tie between 0 and the smallest subnormal
    [3 * 2 ** -25, 0x0002], // tie between subnormals 1 and 2
    [2 ** -14 - 2 ** -25, 0x0400], // tie between the largest subnormal 0x03ff and 0x0400
  ];

  it('encodes known bit patterns, one by one and by the array', () => {
    for (const [value, bits] of known) assert.equal(toFloat16(value), bits, `toFloat16(${value})`);
    // A float64 just above a tie must round up, which rounding through float32 first would miss.
    assert.equal(toFloat16(1 + 2 ** -11 + 2 ** -40), 0x3c01);
    const encoded = encodeFloat16(Float32Array.from(known, ([value]) => value));
    known.forEach(([value, bits], i) => assert.equal(encoded[i], bits, `encodeFloat16(${value})`));
  });

  it('decodes known bit patterns, NaN included', () => {
    assert.equal(fromFloat16(0x3c00), 1);
    assert.equal(fromFloat16(0x7bff), 65504);
    assert.equal(fromFloat16(0x0001), 2 ** -24);
    assert.equal(fromFloat16(0xc000), -2);
    assert.equal(fromFloat16(0x7c00), Infinity);
    assert.ok(Object.is(fromFloat16(0x8000), -0));
    assert.ok(Number.isNaN(fromFloat16(0x7e00)));
    assert.equal(toFloat16(NaN) & 0x7c00, 0x7c00);
    assert.notEqual(toFloat16(NaN) & 0x03ff, 0);
    assert.ok(Number.isNaN(decodeFloat16(encodeFloat16(new Float32Array([NaN])))[0]));
  });

  it('round-trips all 63 490 non-NaN halves exactly', () => {
    const all = Uint16Array.from({ length: 65536 }, (_, i) => i).filter((bits) => (bits & 0x7c00) !== 0x7c00 || (bits & 0x3ff) === 0);
    const decoded = decodeFloat16(all);
    const encoded = encodeFloat16(decoded);
    for (let i = 0; i < all.length; i++) {
      assert.equal(toFloat16(fromFloat16(all[i])), all[i]);
      assert.equal(encoded[i], all[i]);
    }
    assert.equal(all.length, 63490);
  });

  it('rounds every midpoint between neighbouring halves to the even one, and nudges either way', () => {
    const word = new Uint32Array(1);
    const float = new Float32Array(word.buffer);
    const neighbour = (x: number, step: number): number => {
      float[0] = x;
      word[0] += step;
      return float[0];
    };
    for (let bits = 0; bits < 0x7bff; bits++) {
      const midpoint = (fromFloat16(bits) + fromFloat16(bits + 1)) / 2;
      const even = bits % 2 === 0 ? bits : bits + 1;
      const cases: [number, number][] = [
        [midpoint, even],
        [neighbour(midpoint, -1), bits],
        [neighbour(midpoint, 1), bits + 1],
      ];
      const encoded = encodeFloat16(Float32Array.from(cases, ([x]) => x));
      cases.forEach(([x, expected], i) => {
        assert.equal(toFloat16(x), expected, `toFloat16(${x})`);
        assert.equal(toFloat16(-x), expected | 0x8000, `toFloat16(${-x})`);
        assert.equal(encoded[i], expected, `encodeFloat16(${x})`);
      });
    }
  });

  it('keeps relative error within 2^-11 for normals and absolute error within 2^-25 below', () => {
    const random = randomSource(99);
    const values = Float32Array.from({ length: 100_000 }, (_, i) => {
      // Log-uniform from 2^-30 up to 65504 so every binade, subnormals included, is sampled.
      const magnitude = Math.min(65504, 2 ** (-30 + 46 * random()));
      return i % 2 === 0 ? magnitude : -magnitude;
    });
    const back = decodeFloat16(encodeFloat16(values));
    let worstRelative = 0;
    for (let i = 0; i < values.length; i++) {
      const x = values[i];
      const error = Math.abs(back[i] - x);
      assert.equal(back[i], fromFloat16(toFloat16(x)));
      if (Math.abs(x) >= 2 ** -14) {
        worstRelative = Math.max(worstRelative, error / Math.abs(x));
        assert.ok(error <= FLOAT16_MAX_RELATIVE_ERROR * Math.abs(x), `x=${x}`);
      } else {
        assert.ok(error <= FLOAT16_MAX_SUBNORMAL_ERROR, `x=${x}`);
      }
    }
    assert.ok(worstRelative > 0.9 * FLOAT16_MAX_RELATIVE_ERROR, `worst ${worstRelative}`);
  });
});
