// The decoder's graph gets two more outputs: the last position's logits, so a run over a chunk of the
// prompt hands back one position's scores rather than every position's (56 MB per chunk at the
// Qwen2.5-0.5B shape's vocabulary), and the next token's probabilities, their softmax, computed by
// onnxruntime's vectorised softmax inside the step's own run. In JavaScript that softmax is one
// Math.exp per vocabulary entry per token, which on a small model costs a tenth of the step itself;
// here it costs a few microseconds, and V floats to hand back.
import { onnx } from 'onnx-proto';
import type { ExposedGraph } from '../surgery';

/** The added output: [1, 1, vocab] float32 probabilities of the token after the last fed one. */
export const NEXT_TOKEN_PROBABILITIES = 'attention_lens/next_token_probabilities';
/** Also an output: the last position's logits ([1, 1, vocab], in the graph's precision). */
export const NEXT_TOKEN_LOGITS = 'attention_lens/next_token/last_logits';

const { DataType } = onnx.TensorProto;
const INTS = onnx.AttributeProto.AttributeType.INTS;
const INT = onnx.AttributeProto.AttributeType.INT;
const TENSOR = onnx.AttributeProto.AttributeType.TENSOR;
const PREFIX = 'attention_lens/next_token';

/** `graph`'s bytes with both outputs appended, from its `logits` output ([1, T, vocab]). */
export function withNextTokenProbabilities(graph: Pick<ExposedGraph, 'bytes' | 'opset'>, logits: string): Uint8Array {
  const last = NEXT_TOKEN_LOGITS;
  const widened = `${PREFIX}/last_logits_float32`;
  const ints = (name: string, value: number): onnx.INodeProto => ({
    name, opType: 'Constant', output: [name],
    attribute: [{ name: 'value', type: TENSOR, t: { dims: [1], dataType: DataType.INT64, int64Data: [value] } }],
  });
  // Slice takes its bounds as inputs from opset 10, as attributes before.
  const slice: onnx.INodeProto[] = graph.opset >= 10
    ? [ints(`${PREFIX}/starts`, -1), ints(`${PREFIX}/ends`, 2 ** 53 - 1), ints(`${PREFIX}/axes`, 1), {
      name: `${PREFIX}/Slice`, opType: 'Slice', input: [logits, `${PREFIX}/starts`, `${PREFIX}/ends`, `${PREFIX}/axes`], output: [last],
    }]
    : [{
      name: `${PREFIX}/Slice`, opType: 'Slice', input: [logits], output: [last],
      attribute: [{ name: 'starts', type: INTS, ints: [-1] }, { name: 'ends', type: INTS, ints: [2 ** 53 - 1] }, { name: 'axes', type: INTS, ints: [1] }],
    }];
  const nodes: onnx.INodeProto[] = [
    ...slice,
    // Half-precision graphs give float16 logits; the probabilities are summed in float32.
    { name: `${PREFIX}/Cast`, opType: 'Cast', input: [last], output: [widened], attribute: [{ name: 'to', type: INT, i: DataType.FLOAT }] },
    { name: `${PREFIX}/Softmax`, opType: 'Softmax', input: [widened], output: [NEXT_TOKEN_PROBABILITIES], attribute: [{ name: 'axis', type: INT, i: -1 }] },
  ];
  // Appended as surgery appends its outputs: protobuf merges the second graph into the first.
  const patch = onnx.ModelProto.encode({ graph: { node: nodes, output: [{ name: last }, { name: NEXT_TOKEN_PROBABILITIES }] } }).finish();
  const out = new Uint8Array(graph.bytes.length + patch.length);
  out.set(graph.bytes, 0);
  out.set(patch, graph.bytes.length);
  return out;
}
