// A stage as an ONNX model onnxruntime can open: its nodes and initializers, the graph inputs and
// handed-on tensors it reads as inputs, and what it hands on as outputs. onnxruntime insists that a
// graph input has a type, and the graph rarely declares the types of its intermediate tensors, so a
// stage's inputs are typed from what onnxruntime inferred for the stage that computes them.
import type * as ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import type { StagePart } from './stages';

/** Element and shape of tensors by name, as onnxruntime reported them for earlier stages' outputs. */
export type TensorTypes = Map<string, onnx.ITypeProto>;

const { DataType } = onnx.TensorProto;
const ELEMENT: Partial<Record<ort.Tensor.Type, number>> = {
  float32: DataType.FLOAT, float16: DataType.FLOAT16, float64: DataType.DOUBLE, int8: DataType.INT8, uint8: DataType.UINT8,
  int16: DataType.INT16, uint16: DataType.UINT16, int32: DataType.INT32, uint32: DataType.UINT32, int64: DataType.INT64,
  uint64: DataType.UINT64, bool: DataType.BOOL,
};

/**
 * Records the type of each of a session's outputs; a reason when one is not a tensor JavaScript can
 * hold (a sequence, bfloat16…), which then cannot be handed from one stage to the next.
 */
export function recordOutputTypes(session: ort.InferenceSession, types: TensorTypes): string | undefined {
  for (const meta of session.outputMetadata) {
    const element = meta.isTensor ? ELEMENT[meta.type] : undefined;
    if (!meta.isTensor || element === undefined) {
      return `the tensor "${meta.name}" passed between layers is a ${meta.isTensor ? meta.type : 'non-tensor value'}, which cannot be handed from one session to the next`;
    }
    // An empty shape may mean "unknown" as well as "scalar": leave the rank open then.
    const shape = meta.isTensor && meta.shape.length > 0
      ? { dim: meta.shape.map((d) => typeof d === 'number' && d >= 0 ? { dimValue: d } : typeof d === 'string' && d ? { dimParam: d } : {}) }
      : undefined;
    types.set(meta.name, { tensorType: { elemType: element, ...(shape ? { shape } : {}) } });
  }
  return undefined;
}

/** The model that runs one part of a stage; `attention` (the part's layer's, if it computes it) is its first output. */
export function encodePart(model: onnx.ModelProto, name: string, part: StagePart, attention: string | undefined, types: TensorTypes): Uint8Array {
  return encode(model, name, part.nodes, part.initializers, [...part.graphInputs, ...part.carried],
    [...(attention ? [attention] : []), ...part.handsOn.map((h) => h.output)], types);
}

function encode(model: onnx.ModelProto, name: string, nodes: onnx.INodeProto[], initializers: onnx.ITensorProto[],
  inputs: string[], outputs: string[], types: TensorTypes): Uint8Array {
  const graph = model.graph as onnx.GraphProto;
  const declared = new Map(graph.input.map((i) => [i.name ?? '', i]));
  const made = new Set(nodes.flatMap((n) => n.output ?? []));
  return onnx.ModelProto.encode({
    irVersion: model.irVersion,
    opsetImport: model.opsetImport,
    producerName: model.producerName,
    functions: model.functions,
    graph: {
      name,
      node: nodes,
      // Initializers are the graph's own messages: external ones keep their file, offset and length.
      initializer: initializers,
      input: inputs.map((input) => declared.get(input) ?? { name: input, type: types.get(input) }),
      output: outputs.map((output) => ({ name: output })),
      valueInfo: graph.valueInfo.filter((v) => made.has(v.name ?? '')),
    },
  }).finish();
}
