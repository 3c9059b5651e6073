// Attention as a model writes, a run of rows at a time: a prompt run in chunks over the KV cache gives
// the rows and next-token distribution one run gives, the graph's next-token probabilities are the
// softmax of its logits, and the store keeps a continuation as the rows it was handed (each new
// token's row exactly, and no T × T layer until a view asks for one).
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FLOAT16_MAX_RELATIVE_ERROR, FLOAT16_MAX_SUBNORMAL_ERROR } from '../../src/attention/quantize';
import { AttentionModel } from '../../src/engine/attentionModel';
import { AttentionStore } from '../../src/engine/attentionStore';
import { assembleRows, rowHeads, type AttentionRows } from '../../src/engine/generation/attentionRows';
import { CHUNK_BYTES, type Decoder, type LastPosition } from '../../src/engine/generation/decoder';
import { softmax } from '../../src/engine/generation/sampling';
import { layerBytes } from '../../src/engine/storeBudget';
import { planSequence } from '../../src/engine/storedSequence';
import { MODELS_DIR } from './fixtures';

const PROMPT = 'Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her dog.';
const NEW_TOKENS = 6;
const TOLERANCE = 1e-5;
const scratch = mkdtempSync(path.join(tmpdir(), 'attention-lens-rows-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** A copy of a fixture without its onnx/ folder, so the engine builds the graph (with its cache) from the checkpoint. */
function checkpointOnly(fixture: string): string {
  const dir = path.join(scratch, `${fixture}-checkpoint`);
  mkdirSync(dir, { recursive: true });
  for (const file of ['config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json']) {
    copyFileSync(path.join(MODELS_DIR, fixture, file), path.join(dir, file));
  }
  return dir;
}

const CACHED = [
  { name: 'tinystories-656k ONNX with past', location: () => path.join(MODELS_DIR, 'tinystories-656k', 'onnx', 'model_with_past.onnx') },
  { name: 'tinystories-656k checkpoint', location: () => checkpointOnly('tinystories-656k') },
  { name: 'stories260k checkpoint', location: () => checkpointOnly('stories260k') },
];

function worstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

/** The prompt's rows and last position, with chunks of at most `chunkBytes` of attention. */
async function prefill(decoder: Decoder, ids: number[], chunkBytes: number): Promise<{ runs: AttentionRows[]; last: LastPosition }> {
  const runs: AttentionRows[] = [];
  const { last } = await decoder.prefill(ids, (rows) => runs.push(rows), chunkBytes);
  return { runs, last };
}

describe('a prompt in chunks over the KV cache', () => {
  for (const source of CACHED) {
    describe(source.name, () => {
      let model: AttentionModel;
      before(async () => { model = await AttentionModel.load(source.location(), 'cpu'); });
      after(() => model.dispose());

      it('gives the rows of one run, and the same next token and distribution', async (t) => {
        const decoder = await model.decoder();
        assert.ok(decoder.cached);
        const ids = model.encode(PROMPT, Number.MAX_SAFE_INTEGER).tokens.map((token) => token.id);
        const T = ids.length;
        const whole = await prefill(decoder, ids, CHUNK_BYTES);
        assert.equal(whole.runs.length, 1, 'a fixture prompt fits one chunk');
        // Room for 7 rows at the prompt's width: chunks of 7 rows, then the rest.
        const rowBytes = 4 * model.info.layers * model.info.heads * T;
        const chunked = await prefill(decoder, ids, 7 * rowBytes);
        assert.deepEqual(chunked.runs.map((r) => [r.from, r.count]), Array.from({ length: Math.ceil(T / 7) }, (_, i) => [i * 7, Math.min(7, T - i * 7)]));
        for (const run of chunked.runs) {
          assert.equal(rowHeads(run), model.info.heads);
          for (const layer of run.layers) assert.equal(layer.length, model.info.heads * run.count * (run.from + run.count));
        }
        const inspected = await model.run({ tokens: model.encode(PROMPT, Number.MAX_SAFE_INTEGER).tokens, typeIds: [] });
        const fromChunks = assembleRows(chunked.runs);
        const worst = Math.max(...inspected.map((layer, l) => worstDifference(fromChunks[l], layer)));
        const worstWhole = Math.max(...inspected.map((layer, l) => worstDifference(assembleRows(whole.runs)[l], layer)));
        const worstP = worstDifference(chunked.last.probabilities, whole.last.probabilities);
        t.diagnostic(`${chunked.runs.length} chunks of ${T} tokens: rows vs inspection ${worst.toExponential(2)} (one run ${worstWhole.toExponential(2)}), probabilities ${worstP.toExponential(2)}`);
        assert.ok(worst < TOLERANCE, `chunked rows differ from the inspection by ${worst}`);
        assert.ok(worstP < TOLERANCE, `chunked next-token probabilities differ by ${worstP}`);
        assert.equal(chunked.last.probabilities.indexOf(Math.max(...chunked.last.probabilities)),
          whole.last.probabilities.indexOf(Math.max(...whole.last.probabilities)));
      });

      it('hands back the next token\'s probabilities: the softmax of its logits', async () => {
        const decoder = await model.decoder();
        const ids = model.encode(PROMPT, Number.MAX_SAFE_INTEGER).tokens.map((token) => token.id);
        let { last, state } = await decoder.prefill(ids);
        for (let step = 0; step <= NEW_TOKENS; step++) {
          const vocab = last.logits.length;
          assert.equal(last.probabilities.length, vocab);
          const expected = softmax(last.logits);
          assert.ok(worstDifference(last.probabilities, expected) < 1e-6);
          assert.ok(Math.abs(last.probabilities.reduce((a, b) => a + b, 0) - 1) < 1e-4);
          if (step === NEW_TOKENS) break;
          ({ last, state } = await decoder.extend(state, expected.indexOf(Math.max(...expected))));
        }
      });
    });
  }
});

describe('the store keeps a continuation as rows', () => {
  let model: AttentionModel;
  let runs: AttentionRows[];
  let special: boolean[];
  before(async () => {
    model = await AttentionModel.load(checkpointOnly('tinystories-656k'), 'cpu');
    const decoder = await model.decoder();
    const tokens = model.encode(PROMPT, Number.MAX_SAFE_INTEGER).tokens;
    runs = [];
    // The prompt in three chunks, then one row per new token, as a long prompt runs.
    const rowBytes = 4 * model.info.layers * model.info.heads * tokens.length;
    let { last, state } = await decoder.prefill(tokens.map((token) => token.id), (rows) => runs.push(rows), Math.ceil(tokens.length / 3) * rowBytes);
    special = tokens.map((token) => token.special);
    for (let step = 0; step < NEW_TOKENS; step++) {
      const id = last.probabilities.indexOf(Math.max(...last.probabilities));
      const next = await decoder.extend(state, id);
      runs.push({ from: state.length, count: 1, layers: next.last.rows });
      special.push(model.tokenizer.isSpecial(id));
      ({ last, state } = next);
    }
  });
  after(() => model.dispose());

  function filled(store: AttentionStore, id: number): void {
    let at = 0;
    for (const run of runs) {
      store.append(id, run, special.slice(at, at + run.count));
      at += run.count;
    }
  }

  it('each new token\'s row is exactly its step\'s, the prompt\'s are its run\'s, and nothing is built before a view', async () => {
    const N = special.length;
    const longest = { layers: model.info.layers, heads: model.info.heads, T: N };
    const store = new AttentionStore(64 * 2 ** 20);
    assert.equal(store.openSequence(1, longest), 'float32');
    let held = 0;
    let at = 0;
    for (const run of runs) {
      store.append(1, run, special.slice(at, at + run.count));
      at += run.count;
      assert.equal(store.about(1).shape.T, at);
      // Kept as handed over: the store holds the rows and no T × T layer, however many tokens came.
      held += run.layers.reduce((sum, layer) => sum + layer.byteLength, 0);
      assert.equal(store.usage(1)?.bytes, held);
    }
    const layers = await store.layers(1, [...Array(model.info.layers).keys()]);
    const expected = assembleRows(runs);
    for (const [l, layer] of layers) {
      assert.deepEqual(layer, expected[l]);
      for (const run of runs.filter((r) => r.count === 1)) {
        const keys = run.from + 1;
        for (let h = 0; h < model.info.heads; h++) {
          assert.deepEqual(layer.subarray((h * N + run.from) * N, (h * N + run.from) * N + keys), run.layers[l].subarray(h * keys, (h + 1) * keys));
          assert.ok(layer.subarray((h * N + run.from) * N + keys, (h * N + run.from + 1) * N).every((v) => v === 0));
        }
      }
    }
    assert.ok(store.usage(1)!.bytes > held, 'the layers a view asked for stay assembled');
  });

  it('views see each token as soon as its row is appended', async () => {
    const store = new AttentionStore(64 * 2 ** 20);
    store.openSequence(2, { layers: model.info.layers, heads: model.info.heads, T: special.length });
    let at = 0;
    for (const run of runs) {
      store.append(2, run, special.slice(at, at + run.count));
      at += run.count;
      const token = at - 1;
      const layer = model.info.layers - 1;
      const reply = await store.view(2, { type: 'headRows', layer, token, received: false, hideSpecial: false });
      assert.equal(reply.type, 'headRows');
      if (reply.type !== 'headRows') return;
      const rows = new Float32Array(reply.values);
      assert.equal(rows.length, model.info.heads * at);
      const width = run.from + run.count;
      const r = token - run.from;
      for (let h = 0; h < model.info.heads; h++) {
        assert.deepEqual(rows.subarray(h * at, h * at + width), run.layers[layer].subarray((h * run.count + r) * width, (h * run.count + r + 1) * width));
      }
    }
  });

  it('a small budget keeps the rows as float16, within float16\'s error', async () => {
    const N = special.length;
    const longest = { layers: model.info.layers, heads: model.info.heads, T: N };
    const rows32 = longest.layers * longest.heads * (N * (N + 1) / 2) * 4;
    const budget = rows32 / 2 + layerBytes(longest);
    assert.equal(planSequence(longest, budget).mode, 'float16');
    const store = new AttentionStore(budget);
    assert.equal(store.openSequence(3, longest), 'float16');
    filled(store, 3);
    const expected = assembleRows(runs);
    const layers = await store.layers(3, [0, 1]);
    for (const [l, layer] of layers) {
      layer.forEach((v, i) => {
        const x = expected[l][i];
        assert.ok(Math.abs(v - x) <= Math.max(Math.abs(x) * FLOAT16_MAX_RELATIVE_ERROR, FLOAT16_MAX_SUBNORMAL_ERROR), `layer ${l} [${i}]: ${v} vs ${x}`);
      });
    }
  });

  it('refuses rows that do not follow the ones it holds', () => {
    const store = new AttentionStore(64 * 2 ** 20);
    store.openSequence(4, { layers: model.info.layers, heads: model.info.heads, T: special.length });
    assert.throws(() => store.append(4, runs[1], special.slice(runs[1].from, runs[1].from + runs[1].count)), /cannot follow 0 rows/);
  });
});
