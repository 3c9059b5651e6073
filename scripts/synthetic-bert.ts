// Generates `synthetic-bert-base`: a BERT-base sized encoder (12 layers, 12 heads, hidden 768) with
// random weights, laid out like a `torch.onnx.export` of Hugging Face BertModel at opset 14 (LayerNorm
// decomposed into ReduceMean/Sub/Pow/Sqrt/Div, GELU via Erf, Shape→Gather→Concat→Reshape head split).
// The fixtures are tiny; this gives the benchmark a model whose attention (12·12·T² floats) is the
// size a real user sees. Run directly to (re)generate it and check that onnxruntime runs it at T=8.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { onnx } from 'onnx-proto';
import { fillNormal, uniform } from './bench/normal';
import { GraphBuilder, attr, valueInfo, writeModel, type LazyInitializer } from './bench/onnxWriter';

/** Bump when the graph or weights change, so cached copies are regenerated. */
const GENERATOR_VERSION = 2;
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
const INT64 = onnx.TensorProto.DataType.INT64;
const FLOAT = onnx.TensorProto.DataType.FLOAT;

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
  const { header, initializers } = buildBert(SYNTHETIC_BERT);
  const bytes = writeModel(onnxPath, header, initializers);
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
function buildBert(s: Spec): { header: Parameters<typeof writeModel>[1]; initializers: LazyInitializer[] } {
  const g = new GraphBuilder();
  const initializers: LazyInitializer[] = [];
  const weight = (name: string, dims: number[], kind: 'normal' | 'zeros' | 'ones', zeroRow?: number): string => {
    const seed = SEED + 7919 * initializers.length;
    initializers.push({
      name, dims,
      values: () => {
        const size = dims.reduce((a, b) => a * b, 1);
        const data = kind === 'ones' ? new Float32Array(size).fill(1) : new Float32Array(size);
        if (kind === 'normal') fillNormal(data, s.initStd, uniform(seed));
        if (zeroRow !== undefined) data.fill(0, zeroRow * dims[1], (zeroRow + 1) * dims[1]); // HF zeroes the [PAD] row
        return data;
      },
    });
    return name;
  };
  const linear = (scope: string, x: string, param: string, inDim: number, outDim: number): string => {
    const w = weight(`${param}.weight`, [inDim, outDim], 'normal'); // stored transposed, as torch exports Linear
    const b = weight(`${param}.bias`, [outDim], 'zeros');
    const product = g.op(scope, 'MatMul', [x, w]);
    return g.op(scope, 'Add', [b, product]);
  };
  const layerNorm = (scope: string, x: string, param: string): string => {
    const w = weight(`${param}.weight`, [s.hidden], 'ones');
    const b = weight(`${param}.bias`, [s.hidden], 'zeros');
    const mean = g.op(scope, 'ReduceMean', [x], [attr.ints('axes', [-1])]);
    const centred = g.op(scope, 'Sub', [x, mean]);
    const squared = g.op(scope, 'Pow', [centred, g.float(scope, 2)]);
    const variance = g.op(scope, 'ReduceMean', [squared], [attr.ints('axes', [-1])]);
    const std = g.op(scope, 'Sqrt', [g.op(scope, 'Add', [variance, g.float(scope, s.layerNormEps)])]);
    const normed = g.op(scope, 'Div', [centred, std]);
    return g.op(scope, 'Add', [g.op(scope, 'Mul', [normed, w]), b]);
  };
  // torch exports `x.size(i)` as Shape→Gather and `view(*sizes)` as Unsqueeze→Concat→Reshape.
  // torch exports `x.size(i)` as Shape→Gather and `view(*sizes)` as Unsqueeze→Concat→Reshape.
  const view = (scope: string, x: string, fixed: number[]): string => {
    const sizes = [0, 1].map((axis) =>
      g.op(scope, 'Gather', [g.op(scope, 'Shape', [x]), g.int64(scope, [axis], [])], [attr.int('axis', 0)]));
    const unsqueezed = sizes.map((size) => g.op(scope, 'Unsqueeze', [size, g.int64(scope, [0])]));
    const shape = g.op(scope, 'Concat', [...unsqueezed, ...fixed.map((d) => g.int64(scope, [d]))], [attr.int('axis', 0)]);
    return g.op(scope, 'Reshape', [x, shape], [attr.int('allowzero', 0)]);
  };

  // Extended attention mask: (1 - mask[:, None, None, :]) * finfo(float32).min
  const maskRow = g.op('', 'Unsqueeze', [g.op('', 'Unsqueeze', ['attention_mask', g.int64('', [1])]), g.int64('', [2])]);
  const maskFloat = g.op('', 'Cast', [maskRow], [attr.int('to', FLOAT)]);
  const mask = g.op('', 'Mul', [g.op('', 'Sub', [g.float('', 1), maskFloat]), g.float('', -3.4028234663852886e38)]);

  // Embeddings: word + token type + absolute position (a Slice of the registered position_ids buffer).
  const e = '/embeddings';
  const seqLen = g.op(e, 'Gather', [g.op(e, 'Shape', ['input_ids']), g.int64(e, [1], [])], [attr.int('axis', 0)]);
  const allPositions = g.int64(e, Array.from({ length: s.maxPositions }, (_, i) => i), [1, s.maxPositions]);
  const positionIds = g.op(e, 'Slice', [allPositions, g.int64(e, [0]), g.op(e, 'Unsqueeze', [seqLen, g.int64(e, [0])]),
    g.int64(e, [1]), g.int64(e, [1])]);
  const words = g.op(`${e}/word_embeddings`, 'Gather',
    [weight('embeddings.word_embeddings.weight', [s.vocab, s.hidden], 'normal', 0), 'input_ids']);
  const types = g.op(`${e}/token_type_embeddings`, 'Gather',
    [weight('embeddings.token_type_embeddings.weight', [s.typeVocab, s.hidden], 'normal'), 'token_type_ids']);
  const wordsAndTypes = g.op(e, 'Add', [words, types]);
  const positions = g.op(`${e}/position_embeddings`, 'Gather',
    [weight('embeddings.position_embeddings.weight', [s.maxPositions, s.hidden], 'normal'), positionIds]);
  let hidden = layerNorm(`${e}/LayerNorm`, g.op(e, 'Add', [wordsAndTypes, positions]), 'embeddings.LayerNorm');

  const headDim = s.hidden / s.heads;
  for (let i = 0; i < s.layers; i++) {
    const scope = `/encoder/layer.${i}`;
    const param = `encoder.layer.${i}`;
    const self = `${scope}/attention/self`;
    const q = linear(`${self}/query`, hidden, `${param}.attention.self.query`, s.hidden, s.hidden);
    const k = linear(`${self}/key`, hidden, `${param}.attention.self.key`, s.hidden, s.hidden);
    const kHeads = view(self, k, [s.heads, headDim]);
    const v = linear(`${self}/value`, hidden, `${param}.attention.self.value`, s.hidden, s.hidden);
    const vT = g.op(self, 'Transpose', [view(self, v, [s.heads, headDim])], [attr.ints('perm', [0, 2, 1, 3])]);
    const qT = g.op(self, 'Transpose', [view(self, q, [s.heads, headDim])], [attr.ints('perm', [0, 2, 1, 3])]);
    const kT = g.op(self, 'Transpose', [kHeads], [attr.ints('perm', [0, 2, 3, 1])]);
    const scores = g.op(self, 'Div', [g.op(self, 'MatMul', [qT, kT]), g.float(self, Math.sqrt(headDim))]);
    const probs = g.op(self, 'Softmax', [g.op(self, 'Add', [scores, mask])], [attr.int('axis', -1)]);
    const context = g.op(self, 'Transpose', [g.op(self, 'MatMul', [probs, vT])], [attr.ints('perm', [0, 2, 1, 3])]);
    const merged = view(self, context, [s.hidden]);

    const out = `${scope}/attention/output`;
    const attended = g.op(out, 'Add', [linear(`${out}/dense`, merged, `${param}.attention.output.dense`, s.hidden, s.hidden), hidden]);
    const afterAttention = layerNorm(`${out}/LayerNorm`, attended, `${param}.attention.output.LayerNorm`);

    const inter = linear(`${scope}/intermediate/dense`, afterAttention, `${param}.intermediate.dense`, s.hidden, s.intermediate);
    const act = `${scope}/intermediate/intermediate_act_fn`; // exact GELU: x · ½(1 + erf(x/√2))
    const erf = g.op(act, 'Erf', [g.op(act, 'Div', [inter, g.float(act, Math.SQRT2)])]);
    const gelu = g.op(act, 'Mul', [g.op(act, 'Mul', [inter, g.op(act, 'Add', [erf, g.float(act, 1)])]), g.float(act, 0.5)]);

    const ffn = `${scope}/output`;
    const residual = g.op(ffn, 'Add', [linear(`${ffn}/dense`, gelu, `${param}.output.dense`, s.intermediate, s.hidden), afterAttention]);
    hidden = layerNorm(`${ffn}/LayerNorm`, residual, `${param}.output.LayerNorm`);
  }
  g.nodes[g.nodes.length - 1].output = ['last_hidden_state']; // torch names the final tensor after the output

  const dynamic = ['batch_size', 'sequence_length'];
  return {
    header: {
      opset: 14,
      producer: 'attention-lens synthetic-bert',
      graphName: 'torch_jit',
      nodes: g.nodes,
      inputs: ['input_ids', 'attention_mask', 'token_type_ids'].map((n) => valueInfo(n, INT64, dynamic)),
      outputs: [valueInfo('last_hidden_state', FLOAT, [...dynamic, s.hidden])],
    },
    initializers,
  };
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
