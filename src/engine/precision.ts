// Which number format a graph computes in, read from the graph alone (never its weights): the
// panel and the report say it, and half-precision attention is widened to float32 for the views.
import { onnx } from 'onnx-proto';
import type { Precision } from '../protocol';

const { DataType } = onnx.TensorProto;
const FOUR_BIT_OPS = new Set(['MatMulNBits', 'MatMulBnb4', 'GatherBlockQuantized']);
const EIGHT_BIT_OPS = new Set(['MatMulInteger', 'DynamicQuantizeLinear', 'QLinearMatMul', 'DynamicQuantizeMatMul', 'QAttention']);
// Ops whose output has the element type of their first float input (the ones between QKᵀ and Softmax, and their sources).
const TYPE_FROM_INPUT = new Map<string, number[]>([['Where', [1, 2]]]);

/** The element type of a tensor as far as the graph says: declared types, initializers, Casts and Constants, else the inputs of its producer. */
export function elementType(graph: onnx.IGraphProto, tensor: string): number | undefined {
  const declared = new Map<string, number>();
  for (const v of [...(graph.input ?? []), ...(graph.output ?? []), ...(graph.valueInfo ?? [])]) {
    const t = v.type?.tensorType?.elemType;
    if (v.name && t) declared.set(v.name, t);
  }
  for (const init of graph.initializer ?? []) if (init.name && init.dataType) declared.set(init.name, init.dataType);
  const producer = new Map<string, onnx.INodeProto>();
  for (const node of graph.node ?? []) for (const out of node.output ?? []) producer.set(out, node);
  const seen = new Set<string>();
  const visit = (name: string, depth: number): number | undefined => {
    if (!name || seen.has(name) || depth > 64) return undefined;
    seen.add(name);
    const known = declared.get(name);
    if (known) return known;
    const node = producer.get(name);
    if (!node) return undefined;
    if (node.opType === 'Cast') return Number(node.attribute?.find((a) => a.name === 'to')?.i ?? 0) || undefined;
    if (node.opType === 'Constant') return node.attribute?.find((a) => a.name === 't')?.t?.dataType ?? undefined;
    const picked = TYPE_FROM_INPUT.get(node.opType ?? '');
    const inputs = picked ? picked.map((i) => node.input?.[i] ?? '') : (node.input ?? []);
    for (const input of inputs) {
      const type = visit(input, depth + 1);
      if (type !== undefined && isFloat(type)) return type;
    }
    return undefined;
  };
  return visit(tensor, 0);
}

/** The precision a graph runs in: 4- or 8-bit quantised weights, else the float type of its attention scores. */
export function graphPrecision(graph: onnx.IGraphProto, softmaxInput: string | undefined): Precision {
  const ops = new Set((graph.node ?? []).map((n) => n.opType ?? ''));
  if ([...FOUR_BIT_OPS].some((op) => ops.has(op))) return 'q4';
  if ([...EIGHT_BIT_OPS].some((op) => ops.has(op))) return 'q8';
  const scores = softmaxInput ? elementType(graph, softmaxInput) : undefined;
  if (scores === DataType.FLOAT16) return 'fp16';
  if (scores === DataType.BFLOAT16) return 'bf16';
  return 'fp32';
}

function isFloat(type: number): boolean {
  return type === DataType.FLOAT || type === DataType.FLOAT16 || type === DataType.BFLOAT16 || type === DataType.DOUBLE;
}
