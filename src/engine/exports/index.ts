// Rewrites fused attention kernels into standard ONNX ops that compute the same outputs and pass the
// probabilities [batch, heads, query, key] through a plain Softmax, so surgery finds one per layer on
// every execution provider. Only graph structure changes: initializers (possibly external) are untouched.
import { onnx } from 'onnx-proto';
import { rewriteAttention } from './attention';
import { Emitter, FusedNode, GraphFacts } from './emitter';
import { rewriteGroupQueryAttention } from './groupQueryAttention';
import { rewriteMultiHeadAttention } from './multiHeadAttention';
import { rewriteOnnxAttention } from './onnxAttention';

type Rewrite = (e: Emitter, f: FusedNode) => void;

const REWRITES: Record<string, Rewrite> = {
  'com.microsoft:GroupQueryAttention': rewriteGroupQueryAttention,
  'com.microsoft:Attention': rewriteAttention,
  'com.microsoft:MultiHeadAttention': rewriteMultiHeadAttention,
  ':Attention': rewriteOnnxAttention,
};

function rewriteOf(node: onnx.INodeProto): Rewrite | undefined {
  const domain = node.domain === 'ai.onnx' ? '' : (node.domain ?? '');
  return REWRITES[`${domain}:${node.opType ?? ''}`];
}

/** The fused attention nodes of a model that unfuseAttention can rewrite. */
export function fusedAttentionNodes(model: onnx.IModelProto): onnx.INodeProto[] {
  return (model.graph?.node ?? []).filter((n) => rewriteOf(n) !== undefined);
}

/** The model with every fused attention node replaced by standard ops; the same model when there is none. */
export function unfuseAttention(model: onnx.ModelProto): onnx.ModelProto {
  const graph = model.graph;
  if (!graph || fusedAttentionNodes(model).length === 0) return model;
  const opset = Number(model.opsetImport.find((o) => !o.domain || o.domain === 'ai.onnx')?.version ?? 0);
  if (opset < 13) {
    const first = new FusedNode(fusedAttentionNodes(model)[0]);
    throw first.unsupported(`ONNX opset ${opset} (the rewrite needs opset 13 or newer)`);
  }
  const facts = new GraphFacts(graph, opset);
  const nodes: onnx.INodeProto[] = [];
  const initializers: onnx.ITensorProto[] = [...(graph.initializer ?? [])];
  (graph.node ?? []).forEach((node, i) => {
    const rewrite = rewriteOf(node);
    if (!rewrite) {
      nodes.push(node);
      return;
    }
    const emitter = new Emitter(facts, node.name || `/${node.opType}_${i}`);
    rewrite(emitter, new FusedNode(node));
    // Emitted in dependency order at the fused node's place, so the graph stays topologically sorted.
    nodes.push(...emitter.nodes);
    initializers.push(...emitter.initializers);
  });
  const rewritten = onnx.GraphProto.create({ ...plain(graph), node: nodes as onnx.NodeProto[], initializer: initializers as onnx.TensorProto[] });
  return onnx.ModelProto.create({ ...plain(model), graph: rewritten });
}

// A message's own set fields (decoded messages keep defaults on the prototype).
function plain<T extends object>(message: T): T {
  return Object.fromEntries(Object.entries(message)) as T;
}

