import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hideTokens, maxOverHeads, meanOverHeads, residualAttention, rollout, selectHead, topK } from '../../src/attention';
import { LocalAttention } from '../../src/attention/localAttention';
import { AttentionViews, type AttentionShape } from '../../src/attention/views';
import type { Aggregation, AttentionChoice, AttentionReply, AttentionRequest } from '../../src/protocol';
import { randomLayer, randomSource } from './randomAttention';

interface Fixture {
  shape: AttentionShape;
  layers: Float32Array[];
  views: AttentionViews;
}

interface FixtureOptions {
  T?: number;
  heads?: number;
  layers?: number;
  causal?: boolean;
  special?: number[];
}

function fixture(seed: number, options: FixtureOptions = {}): Fixture {
  const { T = 9, heads = 3, layers = 3, causal = false } = options;
  const special = options.special ?? [0, T - 1];
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

// The head view's line selection as webview/views/headLines.ts made it, over the shown matrices.
function referenceLinks(f: Fixture, layer: number, heads: number[], hideSpecial: boolean, budget: number) {
  const shown = heads.map((h) => ({ h, ...reference(f, { layer, aggregation: 'head', head: h, hideSpecial }) }));
  const counts = new Array<number>(16).fill(0);
  for (const { matrix } of shown) for (const w of matrix) if (w >= 0.01) counts[Math.min(15, (w * 16) | 0)]++;
  let lowest = 15;
  let total = counts[15];
  while (lowest > 0 && total + counts[lowest - 1] <= budget) total += counts[--lowest];
  const floor = Math.max(0.01, lowest / 16);
  const links: [number, number, number, number][] = [];
  for (const { h, matrix, size, kept } of shown) {
    for (let r = 0; r < size; r++) for (let c = 0; c < size; c++) if (matrix[r * size + c] >= floor) links.push([h, kept[r], kept[c], matrix[r * size + c]]);
  }
  return { links, thinned: counts.slice(0, lowest).some((n) => n > 0) };
}

describe('AttentionViews: links and thumbnails', () => {
  it('keeps the strongest opacity steps within the budget, as token indices', () => {
    const f = fixture(31, { T: 12, heads: 4, special: [0, 11] });
    for (const hideSpecial of [false, true]) {
      for (const budget of [0, 20, 60, 10000]) {
        const heads = [0, 2, 3];
        const reply = answer(f.views, { type: 'links', layer: 1, heads, hideSpecial, budget }, 'links');
        const expected = referenceLinks(f, 1, heads, hideSpecial, budget);
        const head = new Int32Array(reply.head);
        const query = new Int32Array(reply.query);
        const key = new Int32Array(reply.key);
        const weight = new Float32Array(reply.weight);
        const got = [...head].map((h, i): [number, number, number, number] => [h, query[i], key[i], weight[i]]);
        assert.deepEqual(got, expected.links, `budget ${budget}, hideSpecial ${hideSpecial}`);
        assert.equal(reply.thinned, expected.thinned);
      }
    }
    const all = answer(f.views, { type: 'links', layer: 1, heads: [0], hideSpecial: false, budget: 10000 }, 'links');
    assert.equal(all.thinned, false);
    const few = answer(f.views, { type: 'links', layer: 1, heads: [0], hideSpecial: false, budget: 1 }, 'links');
    assert.equal(few.thinned, true);
  });

  it('pools each head to pixels × pixels by max over the shown tokens, with each maximum', () => {
    const f = fixture(32, { T: 20, heads: 2, layers: 3, special: [0, 19] });
    for (const hideSpecial of [false, true]) {
      for (const pixels of [4, 32]) {
        const reply = answer(f.views, { type: 'thumbnails', layers: [2, 0], pixels, hideSpecial }, 'thumbnails');
        assert.deepEqual(reply.layers, [2, 0]);
        const values = new Float32Array(reply.values);
        const max = new Float32Array(reply.max);
        assert.equal(values.length, 2 * 2 * pixels * pixels);
        [2, 0].forEach((layer, i) => {
          for (let h = 0; h < 2; h++) {
            const { matrix, size } = reference(f, { layer, aggregation: 'head', head: h, hideSpecial });
            const thumb = values.subarray((i * 2 + h) * pixels * pixels, (i * 2 + h + 1) * pixels * pixels);
            for (let y = 0; y < pixels; y++) {
              for (let x = 0; x < pixels; x++) {
                let expected: number;
                if (size >= pixels) {
                  const edge = (b: number) => Math.floor((b * size) / pixels);
                  expected = -Infinity;
                  for (let q = edge(y); q < edge(y + 1); q++) for (let k = edge(x); k < edge(x + 1); k++) expected = Math.max(expected, matrix[q * size + k]);
                } else {
                  // Fewer tokens than pixels: each pixel shows the cell it falls in.
                  expected = matrix[Math.floor((y * size) / pixels) * size + Math.floor((x * size) / pixels)];
                }
                assert.equal(thumb[y * pixels + x], expected, `layer ${layer} head ${h} pixel ${x},${y}`);
              }
            }
            assert.equal(max[i * 2 + h], Math.max(...thumb));
          }
        });
      }
    }
  });
});

describe('AttentionViews: rollout limits and needs', () => {
  it('answers a whole rollout matrix past the interactive limit as unavailable, reading no layer', () => {
    const T = 600;
    const shape: AttentionShape = { T, heads: 1, layers: 12, special: new Array(T).fill(false) };
    const views = new AttentionViews(shape, () => assert.fail('no layer should be read'));
    const request: AttentionRequest = { type: 'matrix', choice: { layer: 11, aggregation: 'rollout', head: 0, hideSpecial: false }, cells: 100 };
    assert.deepEqual(views.needs(request), []);
    const reply = answer(views, request, 'unavailable');
    assert.match(reply.reason, /hover a token/);
    // Causal products skip most cells, so the same size is within the limit for a causal model.
    const causal = new AttentionViews({ ...shape, causal: true }, () => new Float32Array(0));
    assert.equal(causal.needs(request).length, 12);
    // Rollout rows take the vector path at any size.
    assert.equal(views.needs({ type: 'row', choice: request.choice, token: 3, received: false }).length, 12);
  });

  it('answers rollout rows and top-k past the limit through the vector path', () => {
    const f = fixture(41, { T: 600, heads: 1, layers: 12, special: [0] });
    const matrixRequest: AttentionRequest = { type: 'matrix', choice: { layer: 11, aggregation: 'rollout', head: 0, hideSpecial: false }, cells: 10 };
    assert.equal(f.views.answer(matrixRequest).type, 'unavailable');
    // e_q · A'_11 · … · A'_0, one step matrix at a time.
    const query = 417;
    let vector = new Float64Array(600);
    vector[query] = 1;
    for (let l = 11; l >= 0; l--) {
      const step = residualAttention(f.layers[l], 1, 600);
      const next = new Float64Array(600);
      for (let j = 0; j < 600; j++) for (let k = 0; k < 600; k++) next[k] += vector[j] * step[j * 600 + k];
      vector = next;
    }
    const choice: AttentionChoice = { layer: 11, aggregation: 'rollout', head: 0, hideSpecial: false };
    const row = answer(f.views, { type: 'row', choice, token: query, received: false }, 'row');
    assertClose(new Float32Array(row.values), vector, 1e-6, 'rollout row');
    const top = answer(f.views, { type: 'topk', choice, token: query, received: false, k: 3 }, 'topk');
    assert.deepEqual(top.tokens, topK(Float32Array.from(vector), 3).map((e) => e.index));
  });

  it('names the layers each request reads', () => {
    const f = fixture(42, { layers: 4 });
    const choice = (aggregation: Aggregation, layer: number): AttentionChoice => ({ layer, aggregation, head: 0, hideSpecial: false });
    assert.deepEqual(f.views.needs({ type: 'matrix', choice: choice('head', 2), cells: 10 }), [2]);
    assert.deepEqual(f.views.needs({ type: 'matrix', choice: choice('rollout', 2), cells: 10 }), [0, 1, 2]);
    assert.deepEqual(f.views.needs({ type: 'row', choice: choice('mean', 3), token: 1, received: false }), [3]);
    assert.deepEqual(f.views.needs({ type: 'topk', choice: choice('rollout', 1), token: 1, received: true, k: 3 }), [0, 1]);
    assert.deepEqual(f.views.needs({ type: 'headRows', layer: 1, token: 0, received: false, hideSpecial: true }), [1]);
    assert.deepEqual(f.views.needs({ type: 'links', layer: 0, heads: [0, 1], hideSpecial: false, budget: 5 }), [0]);
    assert.deepEqual(f.views.needs({ type: 'thumbnails', layers: [3, 1, 3], pixels: 8, hideSpecial: false }), [1, 3]);
    assert.throws(() => f.views.needs({ type: 'headRows', layer: 4, token: 0, received: false, hideSpecial: false }), RangeError);
    assert.throws(() => f.views.answer({ type: 'row', choice: choice('head', 0), token: 9, received: false }), RangeError);
  });
});

describe('LocalAttention', () => {
  it('waits for the layers a request reads, then answers', async () => {
    const f = fixture(51, { layers: 3 });
    const local = new LocalAttention(f.shape);
    local.addLayer(0, f.layers[0]);
    const choice: AttentionChoice = { layer: 2, aggregation: 'rollout', head: 0, hideSpecial: true };
    let settled = false;
    const pending = local.request({ type: 'matrix', choice, cells: 50 }).then((reply) => ((settled = true), reply));
    local.addLayer(2, f.layers[2]);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(settled, false, 'layer 1 is still missing');
    local.addLayer(1, f.layers[1]);
    const reply = await pending;
    assert.equal(reply.type, 'matrix');
    assert.deepEqual(new Float32Array((reply as Extract<AttentionReply, { type: 'matrix' }>).values), reference(f, choice).matrix);
  });

  it('rejects a waiting request when its signal aborts', async () => {
    const f = fixture(52);
    const local = new LocalAttention(f.shape);
    const controller = new AbortController();
    const pending = local.request({ type: 'row', choice: { layer: 1, aggregation: 'head', head: 0, hideSpecial: false }, token: 0, received: false }, controller.signal);
    controller.abort(new Error('the view moved on'));
    await assert.rejects(pending, /the view moved on/);
    await assert.rejects(local.request({ type: 'topk', choice: { layer: 0, aggregation: 'mean', head: 0, hideSpecial: false }, token: 0, received: false, k: 2 }, controller.signal), /the view moved on/);
    // A later layer still answers requests made afterwards.
    local.addLayer(1, f.layers[1]);
    const reply = await local.request({ type: 'row', choice: { layer: 1, aggregation: 'head', head: 0, hideSpecial: false }, token: 0, received: false });
    assert.equal(reply.type, 'row');
  });

  it('refuses a layer of the wrong shape', () => {
    const f = fixture(53);
    const local = new LocalAttention(f.shape);
    assert.throws(() => local.addLayer(0, new Float32Array(5)), RangeError);
    assert.throws(() => local.addLayer(3, f.layers[0]), RangeError);
  });
});
