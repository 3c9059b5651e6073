// Generates `synthetic-bert-base`: a BERT-base sized encoder (12 layers, 12 heads, hidden 768) with
// random weights, laid out like a `torch.onnx.export` of Hugging Face BertModel at opset 14 (LayerNorm
// decomposed into ReduceMean/Sub/Pow/Sqrt/Div, GELU via Erf, Shape→Gather→Concat→Reshape head split).
// The fixtures are tiny; this gives the benchmark a model whose attention (12·12·T² floats) is the
// size a real user sees. Run directly to (re)generate it and check that onnxruntime runs it at T=8.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fillNormal, uniform } from './bench/normal';
import { FLOAT, GraphBuilder, INT64, type Tensor } from '../src/engine/graphs/graph';
import { writeModel } from './bench/onnxWriter';

/** Bump when the graph or weights change, so cached copies are regenerated. */
const GENERATOR_VERSION = 3;
const SEED = 20240611;
const FIXTURE_TOKENIZER = path.resolve(__dirname, '../../shared/models/bert-tiny-random');

export const SYNTHETIC_BERT = {
  name: 'synthetic-bert-base',
  layers: 12,
  heads: 12,
  hidden: 768,
  intermediate: 3072,
  vocab: 30522,
  maxPositions: 512,
  typeVocab: 2,
  layerNormEps: 1e-12,
  initStd: 0.02,
} as const;

type Spec = typeof SYNTHETIC_BERT;

/** Returns the synthetic model folder under `cacheDir`, generating it first when absent or stale. */
export function ensureSyntheticBert(cacheDir: string, log: (line: string) => void = () => undefined): string {
  const dir = path.join(cacheDir, SYNTHETIC_BERT.name);
  const configPath = path.join(dir, 'config.json');
  const onnxPath = path.join(dir, 'onnx', 'model.onnx');
  if (existsSync(onnxPath) && existsSync(configPath) && cachedVersion(configPath) === GENERATOR_VERSION) return dir;

  log(`generating ${dir} (~440 MB of random weights, once)…`);
  const start = performance.now();
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(path.join(dir, 'onnx'), { recursive: true });
  for (const file of ['tokenizer.json', 'tokenizer_config.json']) {
    // Copied by content: the fixture files are read-only and their mode should not follow them.
    writeFileSync(path.join(dir, file), readFileSync(path.join(FIXTURE_TOKENIZER, file)));
  }
  const bytes = writeModel(onnxPath, buildBert(SYNTHETIC_BERT), 'BERT-base sized encoder with random weights, for benchmarking');
  // config.json goes last: its presence (with the current version) marks a complete folder.
  writeFileSync(configPath, JSON.stringify(hfConfig(SYNTHETIC_BERT), null, 2) + '\n');
  log(`wrote ${(bytes / 1e6).toFixed(0)} MB in ${((performance.now() - start) / 1000).toFixed(1)} s`);
  return dir;
}

function cachedVersion(configPath: string): number | undefined {
  try {
    return (JSON.parse(readFileSync(configPath, 'utf8')) as { synthetic?: { generator?: number } }).synthetic?.generator;
  } catch {
    return undefined;
  }
}

function hfConfig(s: Spec): Record<string, unknown> {
  return {
    architectures: ['BertModel'],
    model_type: 'bert',
    attention_probs_dropout_prob: 0.1,
    hidden_act: 'gelu',
    hidden_dropout_prob: 0.1,
    hidden_size: s.hidden,
    initializer_range: s.initStd,
    intermediate_size: s.intermediate,
    layer_norm_eps: s.layerNormEps,
    max_position_embeddings: s.maxPositions,
    num_attention_heads: s.heads,
    num_hidden_layers: s.layers,
    pad_token_id: 0,
    position_embedding_type: 'absolute',
    torch_dtype: 'float32',
    type_vocab_size: s.typeVocab,
    vocab_size: s.vocab,
    synthetic: { generator: GENERATOR_VERSION, seed: SEED, note: 'random weights, for benchmarking only' },
  };
}

/** The whole encoder graph, with weights produced lazily while they are written. */
function buildBert(s: Spec): GraphBuilder {
  const g = new GraphBuilder('torch_jit', { opset: 14, producer: 'attention-lens synthetic-bert' });
  const weight = (name: string, dims: number[], kind: 'normal' | 'zeros' | 'ones', zeroRow?: number): Tensor => {
    const seed = SEED + 7919 * g.lazyWeights.length;
    return g.lazyWeight(name, dims, () => {
      const size = dims.reduce((a, b) => a * b, 1);
      const data = kind === 'ones' ? new Float32Array(size).fill(1) : new Float32Array(size);
      if (kind === 'normal') fillNormal(data, s.initStd, uniform(seed));
      if (zeroRow !== undefined) data.fill(0, zeroRow * dims[1], (zeroRow + 1) * dims[1]); // HF zeroes the [PAD] row
      return data;
    });
  };
  const linear = (scope: string, x: Tensor, param: string, inDim: number, outDim: number): Tensor => g.scope(scope, () => {
    const w = weight(`${param}.weight`, [inDim, outDim], 'normal'); // stored transposed, as torch exports Linear
    const b = weight(`${param}.bias`, [outDim], 'zeros');
    return g.add(b, g.matMul(x, w));
  });
  const layerNorm = (x: Tensor, param: string): Tensor => g.scope('LayerNorm', () => {
    const w = weight(`${param}.weight`, [s.hidden], 'ones');
    const b = weight(`${param}.bias`, [s.hidden], 'zeros');
    const mean = g.op('ReduceMean', [x], { axes: [-1] });
    const centred = g.sub(x, mean);
    const squared = g.op('Pow', [centred, g.scalar(2)]);
    const variance = g.op('ReduceMean', [squared], { axes: [-1] });
    const std = g.op('Sqrt', [g.add(variance, g.scalar(s.layerNormEps))]);
    return g.add(g.mul(g.div(centred, std), w), b);
  });
  // torch exports `x.size(i)` as Shape→Gather and `view(*sizes)` as Unsqueeze→Concat→Reshape.
  const view = (x: Tensor, fixed: number[]): Tensor => {
    const sizes = [0, 1].map((axis) => g.gather(g.op('Shape', [x]), g.ints([axis], [])));
    const unsqueezed = sizes.map((size) => g.unsqueeze(size, [0]));
    const shape = g.concat([...unsqueezed, ...fixed.map((d) => g.ints([d]))], 0);
    return g.op('Reshape', [x, shape], { allowzero: 0 });
  };

  const dynamic = ['batch_size', 'sequence_length'];
  const [inputIds, attentionMask, tokenTypeIds] = ['input_ids', 'attention_mask', 'token_type_ids'].map((n) => g.input(n, INT64, dynamic));

  // Extended attention mask: (1 - mask[:, None, None, :]) * finfo(float32).min
  const maskFloat = g.cast(g.unsqueeze(g.unsqueeze(attentionMask, [1]), [2]), FLOAT);
  const mask = g.mul(g.sub(g.scalar(1), maskFloat), g.scalar(-3.4028234663852886e38));

  // Embeddings: word + token type + absolute position (a Slice of the registered position_ids buffer).
  let hidden = g.scope('embeddings', () => {
    const seqLen = g.gather(g.op('Shape', [inputIds]), g.ints([1], []));
    const allPositions = g.ints(Array.from({ length: s.maxPositions }, (_, i) => i), [1, s.maxPositions]);
    const positionIds = g.op('Slice', [allPositions, g.ints([0]), g.unsqueeze(seqLen, [0]), g.ints([1]), g.ints([1])]);
    const words = g.scope('word_embeddings', () =>
      g.gather(weight('embeddings.word_embeddings.weight', [s.vocab, s.hidden], 'normal', 0), inputIds));
    const types = g.scope('token_type_embeddings', () =>
      g.gather(weight('embeddings.token_type_embeddings.weight', [s.typeVocab, s.hidden], 'normal'), tokenTypeIds));
    const wordsAndTypes = g.add(words, types);
    const positions = g.scope('position_embeddings', () =>
      g.gather(weight('embeddings.position_embeddings.weight', [s.maxPositions, s.hidden], 'normal'), positionIds));
    return layerNorm(g.add(wordsAndTypes, positions), 'embeddings.LayerNorm');
  });

  const headDim = s.hidden / s.heads;
  for (let i = 0; i < s.layers; i++) {
    const param = `encoder.layer.${i}`;
    hidden = g.scope(`encoder/layer.${i}`, () => {
      const input = hidden;
      const merged = g.scope('attention/self', () => {
        const q = linear('query', input, `${param}.attention.self.query`, s.hidden, s.hidden);
        const k = linear('key', input, `${param}.attention.self.key`, s.hidden, s.hidden);
        const kHeads = view(k, [s.heads, headDim]);
        const v = linear('value', input, `${param}.attention.self.value`, s.hidden, s.hidden);
        const vT = g.transpose(view(v, [s.heads, headDim]), [0, 2, 1, 3]);
        const qT = g.transpose(view(q, [s.heads, headDim]), [0, 2, 1, 3]);
        const kT = g.transpose(kHeads, [0, 2, 3, 1]);
        const scores = g.div(g.matMul(qT, kT), g.scalar(Math.sqrt(headDim)));
        const probs = g.softmax(g.add(scores, mask), -1);
        const context = g.transpose(g.matMul(probs, vT), [0, 2, 1, 3]);
        return view(context, [s.hidden]);
      });
      const afterAttention = g.scope('attention/output', () => {
        const attended = g.add(linear('dense', merged, `${param}.attention.output.dense`, s.hidden, s.hidden), input);
        return layerNorm(attended, `${param}.attention.output.LayerNorm`);
      });
      const inter = g.scope('intermediate', () => linear('dense', afterAttention, `${param}.intermediate.dense`, s.hidden, s.intermediate));
      const gelu = g.scope('intermediate/intermediate_act_fn', () => { // exact GELU: x · ½(1 + erf(x/√2))
        const erf = g.op('Erf', [g.div(inter, g.scalar(Math.SQRT2))]);
        return g.mul(g.mul(inter, g.add(erf, g.scalar(1))), g.scalar(0.5));
      });
      return g.scope('output', () => {
        const residual = g.add(linear('dense', gelu, `${param}.output.dense`, s.intermediate, s.hidden), afterAttention);
        return layerNorm(residual, `${param}.output.LayerNorm`);
      });
    });
  }
  g.output(hidden, FLOAT, [...dynamic, s.hidden], 'last_hidden_state');
  return g;
}

// Direct run: generate (or reuse) and check that onnxruntime loads the graph and runs it at T=8.
async function main(): Promise<void> {
  const ort = await import('onnxruntime-node');
  const cacheDir = path.resolve(__dirname, '../.cache/bench');
  const dir = ensureSyntheticBert(cacheDir, (line) => console.log(line));
  const t0 = performance.now();
  const session = await ort.InferenceSession.create(path.join(dir, 'onnx', 'model.onnx'), { graphOptimizationLevel: 'all' });
  const loadMs = performance.now() - t0;
  const T = 8;
  const ids = BigInt64Array.from([101, 1996, 2003, 1037, 3231, 1997, 3899, 102], (v) => BigInt(v));
  const feeds = {
    input_ids: new ort.Tensor('int64', ids, [1, T]),
    attention_mask: new ort.Tensor('int64', new BigInt64Array(T).fill(1n), [1, T]),
    token_type_ids: new ort.Tensor('int64', new BigInt64Array(T), [1, T]),
  };
  const t1 = performance.now();
  const out = await session.run(feeds);
  const hiddenState = out.last_hidden_state;
  const values = hiddenState.data as Float32Array;
  if (!values.every(Number.isFinite)) throw new Error('last_hidden_state has non-finite values');
  console.log(`${dir}: loaded in ${loadMs.toFixed(0)} ms; T=${T} run ${(performance.now() - t1).toFixed(1)} ms; ` +
    `last_hidden_state [${hiddenState.dims.join(', ')}], inputs ${session.inputNames.join(', ')}`);
  await session.release();
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
