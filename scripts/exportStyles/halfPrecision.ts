// An fp16 export as transformers.js ships it (model_fp16.onnx): float16 weights and computation,
// float32 logits kept at the boundary through a Cast, int64 inputs unchanged.
import { onnx } from 'onnx-proto';
import { encodeFloat16 } from '../../src/attention/quantize';
import { floats } from './graphFiles';

const { DataType } = onnx.TensorProto;
const HALF_MAX = 65504;

/** Converts a float32 graph to float16 in place. */
export function toFloat16Graph(model: onnx.IModelProto): void {
  const graph = model.graph!;
  for (const tensor of graph.initializer ?? []) halve(tensor);
  for (const node of graph.node ?? []) {
    for (const attr of node.attribute ?? []) {
      if (attr.t) halve(attr.t);
      if (node.opType === 'Cast' && attr.name === 'to' && Number(attr.i) === DataType.FLOAT) attr.i = DataType.FLOAT16;
    }
  }
  graph.valueInfo = [];
  // Float outputs are computed in half and cast back, so callers still read float32.
  const nodes = graph.node ?? [];
  for (const output of graph.output ?? []) {
    if (output.type?.tensorType?.elemType !== DataType.FLOAT) continue;
    const half = `${output.name}_fp16`;
    for (const node of nodes) node.output = (node.output ?? []).map((o) => (o === output.name ? half : o));
    for (const node of nodes) node.input = (node.input ?? []).map((i) => (i === output.name ? half : i));
    nodes.push({ name: `${output.name}_to_float32`, opType: 'Cast', input: [half], output: [output.name!],
      attribute: [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: DataType.FLOAT }] });
  }
}

// Values past float16's range (the -3.4e38 that masks take) are clamped to its largest finite one.
function halve(tensor: onnx.ITensorProto): void {
  if (tensor.dataType !== DataType.FLOAT) return;
  const values = floats(tensor).map((v) => Math.max(-HALF_MAX, Math.min(HALF_MAX, v)));
  tensor.dataType = DataType.FLOAT16;
  tensor.floatData = [];
  tensor.rawData = new Uint8Array(encodeFloat16(values).buffer);
}
