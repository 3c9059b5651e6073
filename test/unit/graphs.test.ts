import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { buildOnnxFromCheckpoint, buildOnnxToFile, checkpointCacheKey, hasCheckpoint, supportedArchitectures } from '../../src/engine/graphs/index';
import { SafetensorsFile } from '../../src/engine/checkpoint/safetensors';
import { EngineError } from '../../src/engine/errors';
import { exposeAttention } from '../../src/engine/surgery';
import { externalDataIn } from '../../src/engine/graphSession';
import { buildFeeds } from '../../src/engine/feeds';
import { checkpointFolder, removeTempFolders, runAttention, runLikeEngine, tempFolder, writeSafetensors, type Params, type Row } from './buildCheckpoint';
import { paddedBatch, tinyBert, tinyGpt2, tinyLlama, type TinyModel } from './buildModels';
import { golden, maxAttentionDiff, MODELS_DIR } from './fixtures';
import { readBertWeights, type Linear } from '../../scripts/exportStyles/bertWeights';
import { python } from '../harness/pythonHelper';
import type { Attentions } from './buildReference';

const TOLERANCE = 1e-4;
const tempDir = tempFolder;
const report = (what: string, diff: number) => console.log(`  ${what}: max |Δ| ${diff.toExponential(2)}`);

/** All tensors of a safetensors file, read back through the project's reader. */
async function readAll(file: string): Promise<{ params: Params; metadata: Record<string, string> }> {
  const st = await SafetensorsFile.open(file);
  const params: Params = {};
  for (const [name, entry] of st.entries) params[name] = { shape: entry.shape, data: await st.readFloat32(name) };
  const metadata = { ...st.metadata };
  await st.close();
  return { params, metadata };
}

/** Largest difference over the query rows of real tokens (padding queries attend to nothing meaningful). */
function maxDiffVsReference(model: TinyModel, rows: Row[], layers: Float32Array[], dims: readonly number[],
  reference: (row: Row, b: number) => Attentions = (row) => model.reference(row)): number {
  const [B, H, T] = dims as number[];
  let worst = 0;
  rows.forEach((row, b) => {
    const expected = reference(row, b);
    expected.forEach((ref, l) => {
      for (let h = 0; h < H; h++) for (let i = 0; i < T; i++) {
        if (!row.mask[i]) continue;
        for (let j = 0; j < T; j++) {
          const got = layers[l][((b * H + h) * T + i) * T + j];
          worst = Math.max(worst, Number.isNaN(got) ? Infinity : Math.abs(got - ref[(h * T + i) * T + j]));
        }
      }
    });
    assert.equal(expected.length, layers.length);
  });
  assert.equal(B, rows.length);
  return worst;
}

/**
 * The attention of a checkpoint folder from test/unit/hf_reference.py: numpy, float64, following the
 * Hugging Face modelling code and reading config.json and the weights itself. Per row, per layer.
 */
function numpyReference(dir: string, rows: Row[]): Attentions[] {
  const stdout = execFileSync(python, [path.join(__dirname, 'hf_reference.py'), dir], {
    input: JSON.stringify(rows), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024,
  });
  const byRow = JSON.parse(stdout) as number[][][][][];
  return byRow.map((layers) => layers.map((heads) => Float64Array.from(heads.flat(2))));
}

/** bert-tiny-random's weights (it ships only an ONNX export) as the safetensors checkpoint BertModel would save. */
function bertFixtureCheckpoint(): string {
  const source = path.join(MODELS_DIR, 'bert-tiny-random');
  const config = JSON.parse(readFileSync(path.join(source, 'config.json'), 'utf8')) as { num_hidden_layers: number; hidden_size: number };
  const w = readBertWeights('bert-tiny-random', config.num_hidden_layers);
  const H = config.hidden_size;
  const params: Params = {};
  // The export's MatMul weights are [in, out]; nn.Linear keeps [out, in].
  const linear = (name: string, l: Linear) => {
    const [inputs, outputs] = l.dims;
    const weight = new Float32Array(inputs * outputs);
    for (let i = 0; i < inputs; i++) for (let o = 0; o < outputs; o++) weight[o * inputs + i] = l.weight[i * outputs + o];
    params[`${name}.weight`] = { shape: [outputs, inputs], data: weight };
    params[`${name}.bias`] = { shape: [outputs], data: l.bias };
  };
  const norm = (name: string, n: { weight: Float32Array; bias: Float32Array }) => {
    params[`${name}.weight`] = { shape: [H], data: n.weight };
    params[`${name}.bias`] = { shape: [H], data: n.bias };
  };
  params['embeddings.word_embeddings.weight'] = { shape: [w.vocab, H], data: w.word };
  params['embeddings.position_embeddings.weight'] = { shape: [w.positions, H], data: w.position };
  params['embeddings.token_type_embeddings.weight'] = { shape: [w.types, H], data: w.tokenType };
  norm('embeddings.LayerNorm', w.embedNorm);
  w.layers.forEach((layer, l) => {
    const b = `encoder.layer.${l}.`;
    linear(`${b}attention.self.query`, layer.q);
    linear(`${b}attention.self.key`, layer.k);
    linear(`${b}attention.self.value`, layer.v);
    linear(`${b}attention.output.dense`, layer.o);
    norm(`${b}attention.output.LayerNorm`, layer.attnNorm);
    linear(`${b}intermediate.dense`, layer.inter);
    linear(`${b}output.dense`, layer.out);
    norm(`${b}output.LayerNorm`, layer.outNorm);
  });
  return checkpointFolder(config, params);
}

async function expectError(promise: Promise<unknown>, pattern: RegExp): Promise<EngineError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof EngineError, `expected an EngineError, got ${String(err)}`);
    assert.match(err.message, pattern);
    return err;
  }
  assert.fail(`expected an error matching ${pattern}`);
}

after(removeTempFolders);

describe('graph builder on the fixtures', () => {
  for (const fixture of ['tinystories-656k', 'stories260k']) {
    it(`${fixture}: every golden prompt within ${TOLERANCE}, logits argmax, engine feeds, left padding`, async () => {
      const dir = path.join(MODELS_DIR, fixture);
      const config = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8'));
      const bytes = await buildOnnxFromCheckpoint(dir);
      assert.equal(exposeAttention(bytes).attentionOutputs.length, config.num_hidden_layers);
      const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all', ...externalDataIn(dir) });
      const attention = exposeAttention(bytes).attentionOutputs;
      let worst = 0;
      for (const prompt of golden(fixture)) {
        const T = prompt.input_ids.length;
        const int64 = (v: number[]) => new ort.Tensor('int64', BigInt64Array.from(v, BigInt), [1, T]);
        const feeds = buildFeeds(exposeAttention(bytes).inputs, prompt.input_ids, [], config);
        const out = await session.run({ ...feeds, input_ids: int64(prompt.input_ids), attention_mask: int64(prompt.input_ids.map(() => 1)),
          position_ids: int64([...Array(T).keys()]) }, [...attention, 'logits']);
        const diff = maxAttentionDiff(prompt.attentions, attention.map((n) => out[n].data as Float32Array), T);
        assert.ok(diff < TOLERANCE, `${prompt.id}: ${diff}`);
        worst = Math.max(worst, diff);
        const logits = out.logits.data as Float32Array;
        const vocab = out.logits.dims[2];
        const argmax = [...Array(T).keys()].map((t) => {
          const row = logits.subarray(t * vocab, (t + 1) * vocab);
          return row.indexOf(Math.max(...row));
        });
        assert.deepEqual(argmax, (prompt as unknown as { logits_argmax: number[] }).logits_argmax, `${prompt.id} argmax`);
      }
      await session.release();
      report(`${fixture} vs golden`, worst);

      // The engine's own feed builder fills every input the built graph declares.
      const first = golden(fixture)[0];
      const viaEngine = await runLikeEngine(bytes, first.input_ids, config, dir);
      assert.ok(maxAttentionDiff(first.attentions, viaEngine, first.input_ids.length) < TOLERANCE);

      // Left padding: a causal prefix attends exactly as in the full prompt, so golden rows still apply.
      const keep = 10;
      const pad = 3;
      const ids = first.input_ids.slice(0, keep);
      const padded: Row = { ids: [0, 0, 0, ...ids], mask: [0, 0, 0, ...ids.map(() => 1)], positions: [1, 1, 1, ...ids.map((_, i) => i)] };
      const { layers, dims } = await runAttention(bytes, [padded], dir);
      const T = keep + pad;
      let padWorst = 0;
      first.attentions.forEach((layer, l) => layer.forEach((head, h) => {
        for (let i = 0; i < keep; i++) for (let j = 0; j < T; j++) {
          const want = j < pad ? 0 : head[i][j - pad];
          padWorst = Math.max(padWorst, Math.abs(layers[l][((h * T) + i + pad) * T + j] - want));
        }
      }));
      assert.equal(dims[3], T);
      assert.ok(padWorst < TOLERANCE, `left-padded: ${padWorst}`);
    });
  }

  it(`bert-tiny-random: a graph built from its weights gives every golden prompt within ${TOLERANCE}`, async () => {
    // The fixture's golden.json is an independent numpy pass over the same weights: a second
    // reference for the BERT builder besides the float64 one written alongside it.
    const dir = bertFixtureCheckpoint();
    const bytes = await buildOnnxFromCheckpoint(dir);
    let worst = 0;
    for (const prompt of golden('bert-tiny-random') as (ReturnType<typeof golden>[number] & { token_type_ids: number[]; attention_mask: number[] })[]) {
      const T = prompt.input_ids.length;
      const { layers } = await runAttention(bytes, [{ ids: prompt.input_ids, mask: prompt.attention_mask, typeIds: prompt.token_type_ids }], dir);
      const diff = maxAttentionDiff(prompt.attentions, layers, T);
      assert.ok(diff < TOLERANCE, `${prompt.id}: ${diff}`);
      worst = Math.max(worst, diff);
    }
    report('bert-tiny-random built from its weights vs golden', worst);
  });

  it('tinystories-656k as bfloat16 (as the Hub serves it) gives the float32 attention exactly', async () => {
    const source = path.join(MODELS_DIR, 'tinystories-656k');
    const { params, metadata } = await readAll(path.join(source, 'model.safetensors'));
    const dir = tempDir();
    copyFileSync(path.join(source, 'config.json'), path.join(dir, 'config.json'));
    // Drops the `model.embed_tokens.weight → lm_head.weight` alias torch wrote (the float32 fixture keeps it):
    // a tied checkpoint holding only lm_head.weight must still build.
    assert.equal(metadata['model.embed_tokens.weight'], 'lm_head.weight');
    writeSafetensors(path.join(dir, 'model.safetensors'), params, 'BF16', { format: 'pt' });
    const prompt = golden('tinystories-656k')[1];
    const rows: Row[] = [{ ids: prompt.input_ids, mask: prompt.input_ids.map(() => 1) }];
    const bf16 = await runAttention(await buildOnnxFromCheckpoint(dir), rows, dir);
    const f32 = await runAttention(await buildOnnxFromCheckpoint(source), rows, source);
    bf16.layers.forEach((layer, l) => assert.deepEqual(layer, f32.layers[l]));
    const diff = maxAttentionDiff(prompt.attentions, bf16.layers, prompt.input_ids.length);
    assert.ok(diff < TOLERANCE, String(diff));
    report('tinystories-656k bf16 vs golden', diff);
  });
});

describe('graph builder vs two float64 references on tiny random checkpoints', () => {
  const cases: [string, () => TinyModel][] = [
    ['gpt2 (transformer. prefix)', () => tinyGpt2('transformer.', 11)],
    ['gpt2 (no prefix)', () => tinyGpt2('', 12)],
    ['bert (BertModel, no prefix)', () => tinyBert('', 21)],
    ['bert (bert. prefix, LayerNorm gamma/beta)', () => tinyBert('bert.', 22, true)],
    ['qwen2 (q/k/v biases, GQA 2, tied head, window off)', () => tinyLlama('qwen2', 31)],
    ['mistral (sliding window 5, GQA 4, own lm_head)', () => tinyLlama('mistral', 32)],
    ['qwen3 (q/k norms, head_dim 16 ≠ hidden/heads)', () => tinyLlama('qwen3', 33)],
    ['llama (attention and MLP biases, llama3 RoPE scaling)', () => tinyLlama('llama3-biased', 34)],
  ];
  for (const [name, make] of cases) {
    it(`${name}: batch of 2 with padding within ${TOLERANCE}`, async () => {
      const model = make();
      const dir = checkpointFolder(model.config, model.params);
      const rows = paddedBatch(model.causal, 12, 7);
      const { layers, dims } = await runAttention(await buildOnnxFromCheckpoint(dir), rows, dir);
      const diff = maxDiffVsReference(model, rows, layers, dims);
      assert.ok(diff < TOLERANCE, `${name}: ${diff}`);
      report(name, diff);
    });
  }

  // A second reference, computed another way: numpy following the Hugging Face modelling code,
  // reading the folder's config.json and weights itself, so a misreading shared by the builder and
  // the TypeScript reference above cannot pass both.
  for (const [name, make] of cases) {
    it(`${name}: the same attention as a numpy transcription of the Hugging Face code`, async () => {
      const model = make();
      const dir = checkpointFolder(model.config, model.params);
      const rows = paddedBatch(model.causal, 12, 7);
      const { layers, dims } = await runAttention(await buildOnnxFromCheckpoint(dir), rows, dir);
      const expected = numpyReference(dir, rows);
      const diff = maxDiffVsReference(model, rows, layers, dims, (_row, b) => expected[b]);
      assert.ok(diff < TOLERANCE, `${name}: ${diff}`);
      report(`${name} vs numpy`, diff);
    });
  }

  it('float16 weights and a sharded checkpoint give the float32 attention exactly', async () => {
    const model = tinyLlama('qwen2', 41);
    // Values on a 1/256 grid below 4 are exact in float16, so the upcast must reproduce them bit for bit.
    for (const p of Object.values(model.params)) p.data = p.data.map((v) => Math.max(-3.9, Math.min(3.9, Math.round(v * 256) / 256)));
    const rows = paddedBatch(true, 9, 5);
    const f32Dir = checkpointFolder(model.config, model.params);
    const f16Dir = checkpointFolder(model.config, model.params, 'F16');
    const f32 = await runAttention(await buildOnnxFromCheckpoint(f32Dir), rows, f32Dir);
    const f16 = await runAttention(await buildOnnxFromCheckpoint(f16Dir), rows, f16Dir);
    const sharded = tempDir();
    writeFileSync(path.join(sharded, 'config.json'), JSON.stringify(model.config));
    const names = Object.keys(model.params);
    const weightMap: Record<string, string> = {};
    [names.slice(0, 9), names.slice(9)].forEach((part, i) => {
      const file = `model-0000${i + 1}-of-00002.safetensors`;
      writeSafetensors(path.join(sharded, file), Object.fromEntries(part.map((n) => [n, model.params[n]])));
      for (const n of part) weightMap[n] = file;
    });
    writeFileSync(path.join(sharded, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
    const fromShards = await runAttention(await buildOnnxFromCheckpoint(sharded), rows, sharded);
    f32.layers.forEach((layer, l) => {
      assert.deepEqual(f16.layers[l], layer);
      assert.deepEqual(fromShards.layers[l], layer);
    });
    assert.ok(maxDiffVsReference(model, rows, f32.layers, f32.dims) < TOLERANCE);
  });
});

describe('graph builder API and errors', () => {
  it('lists the supported architectures and finds checkpoints', () => {
    assert.deepEqual(supportedArchitectures().sort(), ['bert', 'gpt2', 'llama', 'mistral', 'qwen2', 'qwen3']);
    assert.ok(hasCheckpoint(path.join(MODELS_DIR, 'stories260k')));
    assert.ok(!hasCheckpoint(path.join(MODELS_DIR, 'bert-tiny-random')));
  });

  it('writes the graph atomically to a cache path keyed by the checkpoint', async () => {
    const source = path.join(MODELS_DIR, 'stories260k');
    const key = checkpointCacheKey(source);
    assert.match(key, /^[0-9a-f]{32}$/);
    assert.equal(checkpointCacheKey(source), key);
    const cache = path.join(tempDir(), 'nested', `${key}.onnx`);
    assert.equal(await buildOnnxToFile(source, cache), cache);
    assert.deepEqual(readdirSync(path.dirname(cache)), [`${key}.onnx`]);
    assert.equal(exposeAttention(readFileSync(cache)).attentionOutputs.length, 5);
  });

  it('names the architecture and the supported list when model_type is unsupported', async () => {
    const dir = checkpointFolder({ model_type: 't5', architectures: ['T5ForConditionalGeneration'] }, { w: { shape: [1], data: new Float32Array(1) } });
    const err = await expectError(buildOnnxFromCheckpoint(dir), /\(t5\).*llama, mistral, qwen2, qwen3, gpt2, bert/);
    assert.equal(err.code, 'unsupported-architecture');
    await expectError(buildOnnxFromCheckpoint(checkpointFolder({}, {})), /model_type/);
  });

  it('explains a config.json that does not match the weights', async () => {
    const model = tinyGpt2('', 3);
    const dir = checkpointFolder({ ...model.config, n_embd: 64 }, model.params);
    const err = await expectError(buildOnnxFromCheckpoint(dir), /config\.json/);
    assert.equal(err.code, 'config-mismatch');
  });

  const header = (json: string) => {
    const bytes = Buffer.from(json);
    const prefix = Buffer.alloc(8);
    prefix.writeBigUInt64LE(BigInt(bytes.length));
    return Buffer.concat([prefix, bytes]);
  };
  const malformed: [string, Buffer, RegExp][] = [
    ['shorter than its length prefix', Buffer.from([1, 2, 3]), /only 3 bytes/],
    ['header length past the end', Buffer.concat([Buffer.from([255, 255, 0, 0, 0, 0, 0, 0]), Buffer.alloc(16)]), /header length/],
    ['header that is not JSON', header('{"a": [1, 2'), /not JSON/],
    ['offsets past the data', Buffer.concat([header('{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}'), Buffer.alloc(8)]), /outside/],
    ['size that does not match the shape', Buffer.concat([header('{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,16]}}'), Buffer.alloc(16)]), /needs 12 bytes/],
    ['entry without a dtype', Buffer.concat([header('{"w":{"shape":[1],"data_offsets":[0,4]}}'), Buffer.alloc(4)]), /no dtype/],
  ];
  for (const [name, bytes, pattern] of malformed) {
    it(`rejects a safetensors file with a ${name}`, async () => {
      const dir = tempDir();
      writeFileSync(path.join(dir, 'config.json'), JSON.stringify(tinyGpt2('', 1).config));
      writeFileSync(path.join(dir, 'model.safetensors'), bytes);
      const err = await expectError(buildOnnxFromCheckpoint(dir), /not a valid safetensors file/);
      assert.match(err.message, pattern);
    });
  }

  it('rejects an index that names a missing shard, and weights of an integer dtype', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify(tinyGpt2('', 1).config));
    writeFileSync(path.join(dir, 'model.safetensors.index.json'), JSON.stringify({ weight_map: { 'wte.weight': 'model-00001-of-00002.safetensors' } }));
    await expectError(buildOnnxFromCheckpoint(dir), /names the shard model-00001-of-00002\.safetensors, which is missing/);

    const ints = tempDir();
    writeFileSync(path.join(ints, 'config.json'), JSON.stringify(tinyGpt2('', 1).config));
    writeFileSync(path.join(ints, 'model.safetensors'),
      Buffer.concat([header('{"h.0.attn.c_attn.weight":{"dtype":"I64","shape":[1],"data_offsets":[0,8]},"wte.weight":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}'), Buffer.alloc(8)]));
    await expectError(buildOnnxFromCheckpoint(ints), /I64; only F32, F16, BF16 and F64/);
    assert.ok(!existsSync(path.join(ints, 'model.onnx')));
  });
});
