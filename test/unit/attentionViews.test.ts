import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hideTokens, maxOverHeads, meanOverHeads, rollout, selectHead, topK } from '../../src/attention';
import { LocalAttention } from '../../src/attention/localAttention';
import { AttentionViews, type AttentionShape } from '../../src/attention/views';
import type { Aggregation, AttentionChoice, AttentionReply, AttentionRequest } from '../../src/protocol';

// xorshift32: a fixed seed replays the same layers when a test fails.
function randomSource(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 2 ** 32;
  };
}

// Row-stochastic heads with a spread of weights; causal ones are lower-triangular.
function randomLayer(random: () => number, heads: number, T: number, causal: boolean): Float32Array {
  const layer = new Float32Array(heads * T * T);
  for (let row = 0; row < heads * T; row++) {
    const base = row * T;
    const keys = causal ? (row % T) + 1 : T;
    let sum = 0;
    for (let k = 0; k < keys; k++) sum += layer[base + k] = Math.exp(5 * random());
    for (let k = 0; k < keys; k++) layer[base + k] /= sum;
  }
  return layer;
}

interface Fixture {
  shape: AttentionShape;
  layers: Float32Array[];
  views: AttentionViews;
}

function fixture(seed: number, { T = 9, heads = 3, layers = 3, causal = false, special = [0, T - 1] } = {}): Fixture {
  const random = randomSource(seed);
  const data = Array.from({ length: layers }, () => randomLayer(random, heads, T, causal));
  const shape: AttentionShape = { T, heads, layers, causal, special: Array.from({ length: T }, (_, i) => special.includes(i)) };
  return { shape, layers: data, views: new AttentionViews(shape, (l) => data[l]) };
}

// The matrix a view shows, computed the way the panel computes it today.
function reference(f: Fixture, choice: AttentionChoice): { matrix: Float32Array; size: number; kept: number[] } {
  const { T, heads } = f.shape;
  const layer = f.layers[choice.layer];
  const full =
    choice.aggregation === 'head' ? selectHead(layer, heads, T, choice.head)
    : choice.aggregation === 'mean' ? meanOverHeads(layer, heads, T)
    : choice.aggregation === 'max' ? maxOverHeads(layer, heads, T)
    : rollout(f.layers.slice(0, choice.layer + 1), heads, T)[choice.layer];
  const hidden = choice.hideSpecial ? f.shape.special : [];
  if (!f.shape.special.some(Boolean) || !choice.hideSpecial) return { matrix: full, size: T, kept: Array.from({ length: T }, (_, i) => i) };
  return hideTokens(full, T, hidden);
}

function answer<K extends AttentionReply['type']>(views: AttentionViews, request: AttentionRequest, type: K): Extract<AttentionReply, { type: K }> {
  const reply = views.answer(request);
  assert.equal(reply.type, type, JSON.stringify(reply));
  return reply as Extract<AttentionReply, { type: K }>;
}

// The shown row (or column) scattered back to token order, hidden tokens 0.
function referenceRow(f: Fixture, choice: AttentionChoice, token: number, received: boolean): Float32Array {
  const { matrix, size, kept } = reference(f, choice);
  const out = new Float32Array(f.shape.T);
  const at = kept.indexOf(token);
  if (at < 0) return out;
  kept.forEach((t, i) => (out[t] = received ? matrix[i * size + at] : matrix[at * size + i]));
  return out;
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= tolerance, `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}

const AGGREGATIONS: Aggregation[] = ['head', 'mean', 'max', 'rollout'];
const CHOICES: AttentionChoice[] = AGGREGATIONS.flatMap((aggregation) =>
  [false, true].flatMap((hideSpecial) => [0, 2].map((layer) => ({ layer, aggregation, head: 1, hideSpecial }))),
);

describe('AttentionViews: matrix', () => {
  for (const causal of [false, true]) {
    it(`gives the shown matrix exactly when not pooled (${causal ? 'causal' : 'bidirectional'})`, () => {
      const f = fixture(11, { causal });
      for (const choice of CHOICES) {
        const expected = reference(f, choice);
        const reply = answer(f.views, { type: 'matrix', choice, cells: 64 }, 'matrix');
        assert.equal(reply.pooled, false);
        assert.deepEqual(reply.window, { q0: 0, q1: expected.size, k0: 0, k1: expected.size });
        assert.equal(reply.rows, expected.size);
        assert.equal(reply.cols, expected.size);
        assert.deepEqual(new Float32Array(reply.values), expected.matrix, JSON.stringify(choice));
        assert.equal(reply.max, Math.max(...expected.matrix));
      }
    });
  }

  it('renormalises each shown row over the kept keys when special tokens are hidden', () => {
    const f = fixture(12);
    const reply = answer(f.views, { type: 'matrix', choice: { layer: 1, aggregation: 'head', head: 0, hideSpecial: true }, cells: 64 }, 'matrix');
    assert.equal(reply.rows, 7);
    const values = new Float32Array(reply.values);
    for (let r = 0; r < 7; r++) {
      const sum = values.subarray(r * 7, r * 7 + 7).reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(sum - 1) < 1e-6, `row ${r} sums to ${sum}`);
    }
  });

  it('gives a window of shown positions exactly', () => {
    const f = fixture(13);
    const choice: AttentionChoice = { layer: 2, aggregation: 'mean', head: 0, hideSpecial: true };
    const { matrix, size } = reference(f, choice);
    const window = { q0: 1, q1: 5, k0: 2, k1: 7 };
    const reply = answer(f.views, { type: 'matrix', choice, window, cells: 8 }, 'matrix');
    assert.deepEqual(reply.window, window);
    assert.equal(reply.pooled, false);
    const expected: number[] = [];
    for (let q = 1; q < 5; q++) for (let k = 2; k < 7; k++) expected.push(matrix[q * size + k]);
    assert.deepEqual([...new Float32Array(reply.values)], expected);
  });

  it('max-pools to at most `cells` with the documented bins, keeping the strongest cell', () => {
    for (const causal of [false, true]) {
      const f = fixture(14, { T: 23, causal, special: [0] });
      for (const choice of CHOICES) {
        const { matrix, size } = reference(f, choice);
        const reply = answer(f.views, { type: 'matrix', choice, cells: 5 }, 'matrix');
        assert.equal(reply.pooled, true);
        assert.equal(reply.rows, 5);
        const values = new Float32Array(reply.values);
        const edge = (b: number) => Math.floor((b * size) / 5);
        for (let r = 0; r < 5; r++) {
          for (let c = 0; c < 5; c++) {
            let max = -Infinity;
            for (let q = edge(r); q < edge(r + 1); q++) for (let k = edge(c); k < edge(c + 1); k++) max = Math.max(max, matrix[q * size + k]);
            assert.equal(values[r * 5 + c], max, `${JSON.stringify(choice)} cell ${r},${c}`);
          }
        }
        assert.equal(reply.max, Math.max(...matrix));
      }
    }
  });

  it('keeps a single strong cell visible in a large pooled window', () => {
    const T = 64;
    const head = new Float32Array(T * T).fill(1 / T);
    // One query attends almost only to one key: the kind of cell a mean pool would wash out.
    head.fill(0.0001, 37 * T, 38 * T);
    head[37 * T + 5] = 1 - 0.0001 * (T - 1);
    const views = new AttentionViews({ T, heads: 1, layers: 1, special: new Array(T).fill(false) }, () => head);
    const reply = answer(views, { type: 'matrix', choice: { layer: 0, aggregation: 'head', head: 0, hideSpecial: false }, cells: 8 }, 'matrix');
    const values = new Float32Array(reply.values);
    // Rows 32..39 are bin 4, keys 0..7 bin 0.
    assert.equal(values[4 * 8 + 0], head[37 * T + 5]);
    assert.equal(reply.max, head[37 * T + 5]);
  });

  it('clamps a window past the shown positions and sizes its buffer exactly', () => {
    const f = fixture(15);
    const reply = answer(f.views, { type: 'matrix', choice: { layer: 0, aggregation: 'max', head: 0, hideSpecial: true }, window: { q0: 5, q1: 40, k0: -3, k1: 2 }, cells: 100 }, 'matrix');
    assert.deepEqual(reply.window, { q0: 5, q1: 7, k0: 0, k1: 2 });
    assert.equal(reply.values.byteLength, 2 * 2 * 4);
  });
});

describe('AttentionViews: rows', () => {
  for (const causal of [false, true]) {
    it(`gives rows and columns in token order, hidden tokens 0 (${causal ? 'causal' : 'bidirectional'})`, () => {
      const f = fixture(21, { causal });
      for (const choice of CHOICES) {
        for (const received of [false, true]) {
          for (const token of [0, 3, 8]) {
            const reply = answer(f.views, { type: 'row', choice, token, received }, 'row');
            assert.equal(reply.values.byteLength, f.shape.T * 4);
            const expected = referenceRow(f, choice, token, received);
            const what = `${JSON.stringify(choice)} token ${token}${received ? ' received' : ''}`;
            // Rollout rows come through the vector path: float64 products in another order.
            if (choice.aggregation === 'rollout') assertClose(new Float32Array(reply.values), expected, 1e-6, what);
            else assert.deepEqual(new Float32Array(reply.values), expected, what);
          }
        }
      }
    });
  }

  it('gives every head\'s row of a layer', () => {
    const f = fixture(22);
    for (const hideSpecial of [false, true]) {
      for (const received of [false, true]) {
        const reply = answer(f.views, { type: 'headRows', layer: 1, token: 4, received, hideSpecial }, 'headRows');
        assert.equal(reply.heads, 3);
        const values = new Float32Array(reply.values);
        for (let h = 0; h < 3; h++) {
          const expected = referenceRow(f, { layer: 1, aggregation: 'head', head: h, hideSpecial }, 4, received);
          assert.deepEqual(values.subarray(h * 9, (h + 1) * 9), expected);
        }
      }
    }
  });

  it('lists the k strongest tokens of a row, hidden tokens never among them', () => {
    const f = fixture(23, { causal: true });
    for (const choice of CHOICES) {
      for (const received of [false, true]) {
        const reply = answer(f.views, { type: 'topk', choice, token: 6, received, k: 4 }, 'topk');
        const expected = topK(referenceRow(f, choice, 6, received), 4, choice.hideSpecial ? f.shape.special : undefined);
        assert.deepEqual(reply.tokens, expected.map((e) => e.index), JSON.stringify(choice));
        assertClose(reply.weights, expected.map((e) => e.weight), 1e-6, JSON.stringify(choice));
      }
    }
  });
});
