// Generation with attention per new token, on every causal fixture, from its ONNX graph (with and
// without a KV cache) and from its safetensors checkpoint: the tokens are the argmax of full passes
// over each prefix, each token's row is the row an inspection of the whole sequence has, draws
// repeat with their seed, the end-of-sequence token stops, and the CLI's report carries the same.
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { AttentionModel } from '../../src/engine/attentionModel';
import { EngineError } from '../../src/engine/errors';
import { buildFeeds } from '../../src/engine/feeds';
import { Continuation } from '../../src/engine/generation/continuation';
import { generate, type Generation } from '../../src/engine/generation/generate';
import { chooseToken, softmax } from '../../src/engine/generation/sampling';
import { seededRandom } from '../../src/engine/generation/seededRandom';
import { sequenceAttention, sequenceTokens } from '../../src/engine/generation/sequence';
import { endOfSequenceIds } from '../../src/engine/generation/stopTokens';
import { externalDataIn } from '../../src/engine/graphSession';
import type { Report } from '../../src/report/report';
import { buildOnnxFromCheckpoint } from '../../src/engine/graphs/index';
import { Decoder } from '../../src/engine/generation/decoder';
import { exposeAttention } from '../../src/engine/surgery';
import { checkpointFolder, removeTempFolders } from './buildCheckpoint';
import { tinyGpt2, tinyLlama } from './buildModels';
import { CLI, golden, MODELS_DIR } from './fixtures';

const TOLERANCE = 1e-5;
const PROMPT = 'Once upon a time, there was a little girl named';
const NEW_TOKENS = 12;
const scratch = mkdtempSync(path.join(tmpdir(), 'attention-lens-generate-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** A copy of a fixture without its onnx/ folder, so the engine builds the graph from model.safetensors. */
function checkpointOnly(fixture: string): string {
  const dir = path.join(scratch, `${fixture}-checkpoint`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir);
  for (const file of ['config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json']) {
    copyFileSync(path.join(MODELS_DIR, fixture, file), path.join(dir, file));
  }
  return dir;
}

/** The ids greedy decoding gives with no cache at all: the argmax of a full pass over each prefix. */
async function argmaxContinuation(model: AttentionModel, prompt: number[], count: number, stop: Set<number>): Promise<number[]> {
  const dataDir = model.folder.onnxPath ? path.dirname(model.folder.onnxPath) : model.folder.dir;
  const session = await ort.InferenceSession.create(model.graph.bytes, externalDataIn(dataDir));
  try {
    const ids = [...prompt];
    const out: number[] = [];
    while (out.length < count) {
      const { logits } = await session.run(buildFeeds(model.graph.inputs, ids, [], model.folder.config), ['logits']);
      const vocab = logits.dims[2];
      const last = (logits.data as Float32Array).subarray(logits.data.length - vocab);
      const id = last.indexOf(Math.max(...last));
      out.push(id);
      ids.push(id);
      if (stop.has(id)) break;
    }
    return out;
  } finally {
    await session.release();
  }
}

/** Largest difference between the generation's whole-sequence attention and an inspection of the same ids. */
async function worstAgainstInspection(model: AttentionModel, generation: Generation): Promise<number> {
  const tokens = sequenceTokens(generation);
  const inspected = await model.run({ tokens, typeIds: [] });
  const assembled = sequenceAttention(generation);
  let worst = 0;
  assembled.forEach((layer, l) => layer.forEach((v, i) => { worst = Math.max(worst, Math.abs(v - inspected[l][i])); }));
  return worst;
}

const SOURCES: { name: string; location: () => string; cached: boolean }[] = [
  { name: 'stories260k ONNX (no cache)', location: () => path.join(MODELS_DIR, 'stories260k'), cached: false },
  { name: 'stories260k checkpoint', location: () => checkpointOnly('stories260k'), cached: true },
  { name: 'tinystories-656k ONNX (no cache)', location: () => path.join(MODELS_DIR, 'tinystories-656k'), cached: false },
  { name: 'tinystories-656k ONNX with past', location: () => path.join(MODELS_DIR, 'tinystories-656k', 'onnx', 'model_with_past.onnx'), cached: true },
  { name: 'tinystories-656k checkpoint', location: () => checkpointOnly('tinystories-656k'), cached: true },
];

describe('generation on the causal fixtures', () => {
  for (const source of SOURCES) {
    describe(source.name, () => {
      let model: AttentionModel;
      before(async () => { model = await AttentionModel.load(source.location(), 'cpu'); });
      after(() => model.dispose());

      it('greedy tokens are the argmax of a full pass over each prefix; each row is the inspection\'s', async (t) => {
        const generation = await generate(model, PROMPT, { maxNewTokens: NEW_TOKENS });
        assert.equal(generation.cached, source.cached);
        assert.equal(generation.seed, undefined);
        const stop = endOfSequenceIds(model.folder.dir);
        const expected = await argmaxContinuation(model, generation.prompt.map((p) => p.id), NEW_TOKENS, stop);
        assert.deepEqual(generation.steps.map((s) => s.id), expected);
        const worst = await worstAgainstInspection(model, generation);
        t.diagnostic(`${generation.steps.length} tokens ${JSON.stringify(generation.continuation)}, rows vs inspection ${worst.toExponential(2)}`);
        assert.ok(worst < TOLERANCE, `attention rows differ from the inspection's by ${worst}`);
        for (const step of generation.steps) {
          assert.equal(step.position, generation.prompt.length + step.step);
          assert.equal(step.attention.length, model.info.layers);
          assert.equal(step.attention[0].length, model.info.heads * (step.position + 1));
          assert.equal(step.topk.length, 5);
          assert.equal(step.topk[0].id, step.id, 'greedy picks the likeliest candidate');
          assert.ok(step.topk.every((c, i) => i === 0 || c.p <= step.topk[i - 1].p));
          assert.equal(generation.text.slice(0, PROMPT.length), PROMPT);
        }
        assert.equal(generation.steps.map((s) => generation.text.slice(s.start, s.end)).join(''), generation.continuation);
      });

      it('a seed repeats a sampled continuation', async () => {
        const options = { maxNewTokens: 8, temperature: 0.9, topP: 0.95, seed: 42 };
        const a = await generate(model, PROMPT, options);
        const b = await generate(model, PROMPT, options);
        assert.equal(a.seed, 42);
        assert.deepEqual(b.steps.map((s) => s.id), a.steps.map((s) => s.id));
        const others = await Promise.all([1, 2, 3].map(async (seed) => (await generate(model, PROMPT, { ...options, seed })).steps.map((s) => s.id).join()));
        assert.ok(others.some((ids) => ids !== a.steps.map((s) => s.id).join()), 'other seeds draw other continuations');
      });
    });
  }
});

describe('generation: stopping and refusing', () => {
  it('the end-of-sequence token stops the continuation', async () => {
    const model = await AttentionModel.load(path.join(MODELS_DIR, 'tinystories-656k', 'onnx', 'model_with_past.onnx'), 'cpu');
    try {
      const generation = await generate(model, 'Once upon a time, there was a little girl named Lily.', { maxNewTokens: 40 });
      assert.equal(generation.stopped, 'end-of-sequence');
      const last = generation.steps[generation.steps.length - 1];
      assert.equal(last.id, 2);
      assert.ok(last.special);
      assert.equal(last.start, last.end, 'the end-of-sequence token is zero-width');
      assert.ok(generation.steps.length < 40);
    } finally {
      await model.dispose();
    }
  });

  it('an AbortSignal stops between tokens', async () => {
    const model = await AttentionModel.load(path.join(MODELS_DIR, 'stories260k'), 'cpu');
    try {
      const controller = new AbortController();
      let seen = 0;
      await assert.rejects(generate(model, PROMPT, { maxNewTokens: 20 }, () => { if (++seen === 2) controller.abort(); }, controller.signal),
        (err: unknown) => err instanceof EngineError && err.code === 'cancelled');
      assert.equal(seen, 2);
    } finally {
      await model.dispose();
    }
  });

  it('an encoder is refused in plain words', async () => {
    const model = await AttentionModel.load(path.join(MODELS_DIR, 'bert-tiny-random'), 'cpu');
    try {
      await assert.rejects(generate(model, 'hello world'), (err: unknown) =>
        err instanceof EngineError && err.code === 'not-generative' && /encoder/.test(err.message) && /causal language model/.test(err.message));
    } finally {
      await model.dispose();
    }
  });

  it('end-of-sequence ids come from generation_config.json, else config.json, as a number or a list', () => {
    const dir = mkdtempSync(path.join(scratch, 'eos-'));
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ eos_token_id: 7 }));
    assert.deepEqual([...endOfSequenceIds(dir)], [7]);
    writeFileSync(path.join(dir, 'generation_config.json'), JSON.stringify({ eos_token_id: [3, 9] }));
    assert.deepEqual([...endOfSequenceIds(dir)], [3, 9]);
  });
});

describe('generation: choosing tokens and writing text', () => {
  const logits = Float32Array.from([1, 3, 2, 3, -1]);

  it('greedy takes the first of the largest logits; a tiny top-p leaves only the likeliest', () => {
    assert.equal(chooseToken(logits, {}, () => 0.99), 1);
    const random = seededRandom(5);
    for (let i = 0; i < 50; i++) assert.equal(chooseToken(logits, { temperature: 1, topP: 0.01 }, random), 1);
  });

  it('draws follow the tempered distribution', () => {
    const random = seededRandom(11);
    const counts = new Array<number>(logits.length).fill(0);
    const n = 20000;
    for (let i = 0; i < n; i++) counts[chooseToken(logits, { temperature: 2 }, random)]++;
    const p = softmax(logits, 2);
    counts.forEach((c, i) => assert.ok(Math.abs(c / n - p[i]) < 0.015, `token ${i}: ${c / n} vs ${p[i]}`));
  });

  it('a long continuation\'s text is the decoded ids, one decode per token', async () => {
    const model = await AttentionModel.load(path.join(MODELS_DIR, 'stories260k'), 'cpu');
    try {
      const spanish = golden('stories260k').find((p) => p.id === 'spanish')!;
      const ids = [...spanish.input_ids, ...spanish.input_ids.slice(1), ...spanish.input_ids.slice(1)];
      const cut = 5;
      let decodes = 0;
      const counted = { decode: (some: number[]) => { decodes++; return model.tokenizer.decode(some); } };
      const prompt = model.tokenizer.decode(ids.slice(0, cut));
      const written = new Continuation(counted, prompt, ids.slice(0, cut));
      const ranges = ids.slice(cut).map((id) => written.add(id));
      assert.equal(written.text, model.tokenizer.decode(ids));
      assert.equal(ranges.map((r) => written.text.slice(r.start, r.end)).join(''), written.added);
      // A fresh context every LOOKBEHIND tokens, and again after a character split over byte pieces.
      const tokens = ids.length - cut;
      assert.ok(decodes < tokens * 1.5, `${decodes} decodes for ${tokens} tokens`);
    } finally {
      await model.dispose();
    }
  });

  it('byte pieces of one character: the first is empty, the last spans the character', async () => {
    const model = await AttentionModel.load(path.join(MODELS_DIR, 'stories260k'), 'cpu');
    try {
      const spanish = golden('stories260k').find((p) => p.id === 'spanish')!;
      const cut = 3;
      const written = new Continuation(model.tokenizer, 'La', spanish.input_ids.slice(0, cut));
      const ranges = spanish.input_ids.slice(cut).map((id) => ({ id, ...written.add(id) }));
      const whole = model.tokenizer.decode(spanish.input_ids);
      assert.equal(written.text, 'La' + whole.slice(model.tokenizer.decode(spanish.input_ids.slice(0, cut)).length));
      const bytes = ranges.filter((r) => /^<0x/.test(model.tokenizer.idToToken(r.id) ?? ''));
      assert.ok(bytes.some((r) => r.start === r.end), 'a leading byte piece waits for the rest of its character');
      assert.ok(ranges.some((r) => written.text.slice(r.start, r.end) === 'ó'));
    } finally {
      await model.dispose();
    }
  });
});

describe('attention-lens generate', () => {
  it('prints the continuation and links, and --out writes the whole sequence with the generated rows', async () => {
    const out = path.join(scratch, 'generated.json');
    const model = path.join(MODELS_DIR, 'tinystories-656k', 'onnx', 'model_with_past.onnx');
    const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [CLI, 'generate', '--model', model, '--text', PROMPT, '--max-new-tokens', '6', '--out', out, '--provider', 'cpu', '--quiet'],
        (err, stdout, stderr) => resolve({ code: err ? 1 : 0, stdout, stderr }));
    });
    assert.equal(code, 0, stderr);
    assert.ok(stdout.startsWith(PROMPT));
    assert.equal(stdout.split('\n').filter((l) => l.includes('p=') && l.includes('→')).length, 6);
    const report = JSON.parse(readFileSync(out, 'utf8')) as Report;
    assert.equal(report.format, 'attention-lens/v1');
    const generated = report.generated!;
    assert.equal(generated.length, 6);
    const N = report.tokens.length;
    const T = N - generated.length;
    assert.deepEqual(report.tokens.slice(T).map((t) => t.id), generated.map((g) => g.id));
    generated.forEach((g, i) => {
      assert.equal(g.step, i);
      assert.equal(g.topk.length, 5);
      assert.equal(report.text.slice(g.start, g.end), report.text.slice(report.tokens[T + i].start, report.tokens[T + i].end));
    });
    // The report's rows, prompt and generated, are those of an inspection of the same ids.
    const loaded = await AttentionModel.load(model, 'cpu');
    try {
      const inspected = await loaded.run({ tokens: report.tokens, typeIds: [] });
      let worst = 0;
      report.attention.forEach((layer, l) => layer.forEach((head, h) => head.forEach((row, q) => row.forEach((v, k) => {
        worst = Math.max(worst, Math.abs(v - inspected[l][(h * N + q) * N + k]));
        if (k > q) assert.equal(v, 0);
      }))));
      assert.ok(worst < TOLERANCE, `report rows differ from the inspection's by ${worst}`);
    } finally {
      await loaded.dispose();
    }
  });
});

describe('generation: the KV cache of every built family', () => {
  // No tokenizer here: the decoder is driven with ids, against a full pass over the same ids.
  for (const [name, make] of [['gpt2', () => tinyGpt2('transformer.', 41)], ['mistral (sliding window, 1 KV head)', () => tinyLlama('mistral', 42)],
    ['qwen3 (head norms)', () => tinyLlama('qwen3', 43)]] as const) {
    it(`${name}: cached steps give a full pass's logits and rows`, async (t) => {
      const model = make();
      const dir = checkpointFolder(model.config, model.params);
      const graph = exposeAttention(await buildOnnxFromCheckpoint(dir));
      const decoder = await Decoder.open(graph, 'cpu', dir, model.config, name);
      const full = await ort.InferenceSession.create(graph.bytes, externalDataIn(dir));
      try {
        assert.ok(decoder.cached);
        const ids = [3, 17, 5, 41, 8, 22, 9, 30, 1, 12];
        let { state } = await decoder.prefill(ids.slice(0, 4));
        let worst = 0;
        let worstLogit = 0;
        for (let n = 4; n < ids.length; n++) {
          const step = await decoder.extend(state, ids[n]);
          state = step.state;
          const out = await full.run(buildFeeds(graph.inputs, ids.slice(0, n + 1), [], model.config), ['logits', ...graph.attentionOutputs]);
          const vocab = out.logits.dims[2];
          const logits = (out.logits.data as Float32Array).subarray(n * vocab);
          step.last.logits.forEach((v, i) => { worstLogit = Math.max(worstLogit, Math.abs(v - logits[i]) / Math.max(1, Math.abs(logits[i]))); });
          graph.attentionOutputs.forEach((o, l) => {
            const [, heads, T] = out[o].dims;
            const data = out[o].data as Float32Array;
            for (let h = 0; h < heads; h++) for (let k = 0; k < T; k++) {
              worst = Math.max(worst, Math.abs(step.last.rows[l][h * T + k] - data[(h * T + T - 1) * T + k]));
            }
          });
        }
        t.diagnostic(`rows ${worst.toExponential(2)}, logits (relative) ${worstLogit.toExponential(2)}`);
        assert.ok(worst < TOLERANCE, `cached rows differ from full passes by ${worst}`);
        // Logits are sums over the hidden size, summed in another order with a cache: relative, and looser.
        assert.ok(worstLogit < 1e-4, `cached logits differ from full passes by ${worstLogit} (relative)`);
      } finally {
        await decoder.release();
        await full.release();
        removeTempFolders();
      }
    });
  }
});
