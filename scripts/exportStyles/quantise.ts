// Quantised exports as onnxruntime's quantisers write them: 8-bit dynamic (DynamicQuantizeLinear
// on activations, MatMulInteger on int8 weights, as model_quantized.onnx) and 4-bit block-wise
// (com.microsoft.MatMulNBits, as model_q4.onnx). Only MatMuls with a constant 2-D weight change;
// attention (activation × activation) stays a float MatMul and Softmax.
import { onnx } from 'onnx-proto';
import { floats } from './graphFiles';

const { DataType } = onnx.TensorProto;
const INT = onnx.AttributeProto.AttributeType.INT;

interface WeightMatMul {
  node: onnx.INodeProto;
  weight: onnx.ITensorProto;
  K: number;
  N: number;
}

function weightMatMuls(graph: onnx.IGraphProto): WeightMatMul[] {
  const inits = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t]));
  return (graph.node ?? []).flatMap((node) => {
    const weight = node.opType === 'MatMul' ? inits.get(node.input?.[1] ?? '') : undefined;
    if (!weight || weight.dataType !== DataType.FLOAT || weight.dims?.length !== 2) return [];
    return [{ node, weight, K: Number(weight.dims[0]), N: Number(weight.dims[1]) }];
  });
}

/** 8-bit dynamic quantisation: int8 weights with one symmetric scale each, uint8 activations quantised at run time. */
export function quantise8(model: onnx.IModelProto): number {
  const graph = model.graph!;
  const found = weightMatMuls(graph);
  for (const { node, weight } of found) {
    const values = floats(weight);
    const scale = Math.max(1e-12, values.reduce((m, v) => Math.max(m, Math.abs(v)), 0) / 127);
    const q = Int8Array.from(values, (v) => Math.max(-127, Math.min(127, Math.round(v / scale))));
    const n = node.name || weight.name!;
    weight.dataType = DataType.INT8;
    weight.rawData = new Uint8Array(q.buffer);
    weight.name = `${weight.name}_quantized`;
    graph.initializer!.push(
      { name: `${n}_w_scale`, dataType: DataType.FLOAT, dims: [], rawData: new Uint8Array(Float32Array.of(scale).buffer) },
      { name: `${n}_w_zero`, dataType: DataType.INT8, dims: [], rawData: new Uint8Array(1) },
    );
    const [a, y] = [node.input![0], node.output![0]];
    const added: onnx.INodeProto[] = [
      { name: `${n}_QuantizeInput`, opType: 'DynamicQuantizeLinear', input: [a], output: [`${n}_a_q`, `${n}_a_scale`, `${n}_a_zero`] },
      { name: `${n}_MatMulInteger`, opType: 'MatMulInteger', input: [`${n}_a_q`, weight.name, `${n}_a_zero`, `${n}_w_zero`], output: [`${n}_int32`] },
      { name: `${n}_Cast`, opType: 'Cast', input: [`${n}_int32`], output: [`${n}_float`], attribute: [{ name: 'to', type: INT, i: DataType.FLOAT }] },
      { name: `${n}_Scale`, opType: 'Mul', input: [`${n}_a_scale`, `${n}_w_scale`], output: [`${n}_scale`] },
    ];
    node.opType = 'Mul';
    node.input = [`${n}_float`, `${n}_scale`];
    node.output = [y];
    graph.node!.splice(graph.node!.indexOf(node), 0, ...added);
  }
  return found.length;
}

/** 4-bit block-wise quantisation into com.microsoft.MatMulNBits: per block of `blockSize` along K, a scale and zero point 8. */
export function quantise4(model: onnx.IModelProto, blockSize = 32): number {
  const graph = model.graph!;
  const found = weightMatMuls(graph);
  for (const { node, weight, K, N } of found) {
    const values = floats(weight); // [K, N]
    const blocks = Math.ceil(K / blockSize);
    const blob = blockSize / 2;
    const packed = new Uint8Array(N * blocks * blob);
    const scales = new Float32Array(N * blocks);
    for (let n = 0; n < N; n++) {
      for (let b = 0; b < blocks; b++) {
        let max = 0;
        for (let k = b * blockSize; k < Math.min(K, (b + 1) * blockSize); k++) max = Math.max(max, Math.abs(values[k * N + n]));
        // Symmetric around the default zero point 8: codes 0…15 stand for (code − 8)·scale.
        const scale = max / 8 || 1;
        scales[n * blocks + b] = scale;
        for (let i = 0; i < blockSize; i++) {
          const k = b * blockSize + i;
          const code = k < K ? Math.max(0, Math.min(15, Math.round(values[k * N + n] / scale) + 8)) : 8;
          const at = (n * blocks + b) * blob + (i >> 1);
          packed[at] |= i & 1 ? code << 4 : code; // low nibble first
        }
      }
    }
    const n = node.name || weight.name!;
    weight.name = `${weight.name}_q4`;
    weight.dataType = DataType.UINT8;
    weight.dims = [N, blocks, blob];
    weight.rawData = packed;
    graph.initializer!.push({ name: `${n}_scales`, dataType: DataType.FLOAT, dims: [N * blocks], rawData: new Uint8Array(scales.buffer) });
    node.opType = 'MatMulNBits';
    node.domain = 'com.microsoft';
    node.input = [node.input![0], weight.name, `${n}_scales`];
    node.attribute = [
      { name: 'K', type: INT, i: K }, { name: 'N', type: INT, i: N },
      { name: 'bits', type: INT, i: 4 }, { name: 'block_size', type: INT, i: blockSize },
    ];
  }
  if (!model.opsetImport?.some((o) => o.domain === 'com.microsoft')) model.opsetImport!.push({ domain: 'com.microsoft', version: 1 });
  return found.length;
}
