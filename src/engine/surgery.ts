import { onnx } from 'onnx-proto';
import { EngineError } from './errors';
import { fusedAttentionNodes, unfuseAttention } from './exports';
import { externalDataFiles } from './graphSession';
import { elementType, graphPrecision } from './precision';
import type { Precision } from '../protocol';

/** A graph input as the model declares it: the engine feeds inputs by these names. */
export interface GraphInput {
  name: string;
  elemType: number;
  dims: (number | string)[];
}

/** The model bytes with each layer's attention probabilities added as graph outputs. */
export interface ExposedGraph {
  bytes: Uint8Array;
  /** One Softmax output per layer, in layer (topological) order. */
  attentionOutputs: string[];
  /** The Softmax node names, for messages and logs. */
  softmaxNodes: string[];
  inputs: GraphInput[];
  /** The graph's original outputs. */
  outputs: string[];
  opset: number;
  /** External data files the graph's weights are kept in, relative to its folder. */
  externalData: string[];
  /** The number format the graph computes in; attention outputs are float32 whatever it is. */
  precision: Precision;
  /**
   * The same graph decoded, with the float32 casts and outputs added: what stages are cut from.
   * Decoding `bytes` would not give it, as protobufjs keeps only the appended patch's graph.
   */
  model: onnx.ModelProto;
}

// Ops that stand between QKᵀ and the Softmax in common exports: scaling, the additive mask,
// masked_fill (Where), dtype casts, position biases (Sub/Add) and Gemma-style softcapping (Tanh).
export const SCORE_OPS = new Set(['Div', 'Mul', 'Add', 'Where', 'Cast', 'Sub', 'Identity', 'Tanh']);
// Ops allowed between the Softmax and the MatMul with V: HF's `.to(dtype)` cast, inference dropout.
export const PROB_OPS = new Set(['Cast', 'Dropout', 'Identity']);
// Fused kernels that compute attention internally and never materialise the probabilities.
const FUSED_OPS = new Set(['Attention', 'MultiHeadAttention', 'GroupQueryAttention', 'PackedAttention',
  'PackedMultiHeadAttention', 'DecoderMaskedMultiHeadAttention', 'SparseAttention', 'QAttention']);

/** Parses ONNX bytes, with a clear error for anything that is not a model. */
export function parseModel(bytes: Uint8Array): onnx.ModelProto {
  let model: onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (err) {
    throw new EngineError('onnx-invalid',
      'The ONNX file could not be read: it is truncated or not an ONNX model. Download or export it again.',
      String(err));
  }
  if (!model.graph || !model.graph.node?.length) {
    throw new EngineError('onnx-invalid', 'The ONNX file holds no graph: it is empty, truncated or not an ONNX model.');
  }
  return model;
}

/** Finds each layer's attention Softmax and returns the model with those tensors as outputs. */
export function exposeAttention(bytes: Uint8Array): ExposedGraph {
  let model = parseModel(bytes);
  // Fused attention kernels are first rewritten into standard ops with a Softmax per layer.
  if (fusedAttentionNodes(model).length > 0) {
    model = unfuseAttention(model);
    bytes = onnx.ModelProto.encode(model).finish();
  }
  const graph = model.graph as onnx.GraphProto;
  const nodes = graph.node as onnx.NodeProto[];

  const fused = nodes.find((n) => FUSED_OPS.has(n.opType) && (n.domain === 'com.microsoft' || n.opType === 'Attention'));
  if (fused) {
    throw new EngineError('fused-attention',
      `This model uses fused attention (${fused.domain || 'ai.onnx'}.${fused.opType}), which computes attention ` +
      'inside one kernel and never exposes the probabilities. Use an unfused export instead: ' +
      '`optimum-cli export onnx --no-post-process` or `torch.onnx.export` with eager attention.',
      `node ${fused.name || '(unnamed)'}`);
  }

  const producer = new Map<string, onnx.NodeProto>();
  const consumers = new Map<string, onnx.NodeProto[]>();
  for (const node of nodes) {
    for (const out of node.output ?? []) producer.set(out, node);
    for (const inp of node.input ?? []) {
      if (!inp) continue;
      const list = consumers.get(inp);
      if (list) list.push(node);
      else consumers.set(inp, [node]);
    }
  }

  const fedByMatMul = (tensor: string, depth: number): boolean => {
    const node = producer.get(tensor);
    if (!node || depth > 8) return false;
    if (node.opType === 'MatMul') return true;
    if (!SCORE_OPS.has(node.opType)) return false;
    return (node.input ?? []).some((i) => fedByMatMul(i, depth + 1));
  };
  const feedsMatMul = (tensor: string, depth: number): boolean =>
    (consumers.get(tensor) ?? []).some((n) =>
      n.opType === 'MatMul' ||
      (depth < 3 && PROB_OPS.has(n.opType) && feedsMatMul(n.output?.[0] ?? '', depth + 1)));

  const softmaxes = nodes.filter((n) =>
    n.opType === 'Softmax' && !n.domain && n.input?.[0] && n.output?.[0] &&
    fedByMatMul(n.input[0], 0) && feedsMatMul(n.output[0], 0));

  if (softmaxes.length === 0) {
    throw new EngineError('no-attention',
      'No attention was found in this model: there is no Softmax between the query·key and value products. ' +
      'Attention Lens needs a standard (unfused) transformer export.',
      `${nodes.length} nodes, ops: ${[...new Set(nodes.map((n) => n.opType))].join(', ')}`);
  }

  const precision = graphPrecision(graph, softmaxes[0].input?.[0]);
  const half = precision === 'fp16' || precision === 'bf16' || !isFloat32(graph, softmaxes[0]);
  // Half-precision graphs (fp16, q4f16) compute their probabilities in half; a Cast per layer
  // delivers them as float32, which is what the views and reports hold.
  const widened = half ? softmaxes.map((n) => ({
    name: `${n.name || n.output![0]}/attention_lens/CastToFloat`, opType: 'Cast', input: [n.output![0]],
    output: [`${n.output![0]}/float32`], attribute: [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: onnx.TensorProto.DataType.FLOAT }],
  })) : [];
  const attentionOutputs = half ? widened.map((n) => n.output[0]) : softmaxes.map((n) => n.output![0]);
  const existing = new Set(graph.output.map((o) => o.name ?? ''));
  const added = attentionOutputs.filter((name) => !existing.has(name));
  // Protobuf merges a repeated embedded message field when it appears twice, so appending a
  // ModelProto{graph{node, output}} adds nodes and outputs without re-encoding (or dropping unknown
  // fields of) the original. onnxruntime sorts nodes itself, so appended nodes may come last.
  const patch = onnx.ModelProto.encode({
    graph: { node: widened, output: added.map((name) => ({ name })) },
  }).finish();
  const out = new Uint8Array(bytes.length + patch.length);
  out.set(bytes, 0);
  out.set(patch, bytes.length);

  const outputs = graph.output.map((o) => o.name ?? '');
  // The decoded structure gets the same additions, so it describes exactly what `out` encodes.
  graph.node.push(...widened.map((n) => onnx.NodeProto.create(n)));
  graph.output.push(...added.map((name) => onnx.ValueInfoProto.create({ name })));

  const opset = model.opsetImport.find((o) => !o.domain || o.domain === 'ai.onnx')?.version;
  const initializers = new Set(graph.initializer.map((t) => t.name ?? ''));
  return {
    bytes: out,
    attentionOutputs,
    softmaxNodes: softmaxes.map((n) => n.name ?? ''),
    inputs: graph.input.filter((i) => !initializers.has(i.name ?? '')).map(describeInput),
    outputs,
    opset: Number(opset ?? 0),
    precision,
    externalData: externalDataFiles(model),
    model,
  };
}

// The Softmax's own element type when the graph says it (quantised graphs may compute in either).
function isFloat32(graph: onnx.GraphProto, softmax: onnx.NodeProto): boolean {
  const type = elementType(graph, softmax.input?.[0] ?? '');
  return type === undefined || type === onnx.TensorProto.DataType.FLOAT;
}

function describeInput(info: onnx.IValueInfoProto): GraphInput {
  const tensor = info.type?.tensorType;
  const dims = (tensor?.shape?.dim ?? []).map((d) =>
    d.dimParam ? d.dimParam : d.dimValue != null ? Number(d.dimValue) : '?');
  return { name: info.name ?? '', elemType: tensor?.elemType ?? 0, dims };
}
