import { float, type GraphBuilder, type Tensor } from './graph';

/** A weight read from the checkpoint, with its stored shape. */
export interface Weight {
  name: string;
  data: Float32Array;
  shape: number[];
}

/** nn.Linear: the checkpoint stores [out, in]; it is transposed once here so the graph is a plain MatMul. */
export function linear(g: GraphBuilder, x: Tensor, weight: Weight, bias?: Weight): Tensor {
  const [out, inp] = weight.shape;
  const w = g.weight(weight.name, transpose2d(weight.data, out, inp), [inp, out]);
  const y = g.matMul(x, w);
  return bias ? g.add(y, g.weight(bias.name, bias.data, bias.shape)) : y;
}

/** GPT-2's Conv1D, whose weight is already [in, out]. */
export function conv1d(g: GraphBuilder, x: Tensor, weight: Weight, bias?: Weight): Tensor {
  const y = g.matMul(x, g.weight(weight.name, weight.data, weight.shape));
  return bias ? g.add(y, g.weight(bias.name, bias.data, bias.shape)) : y;
}

/** torch LayerNorm over the last axis, as the single opset-17 LayerNormalization kernel. */
export function layerNorm(g: GraphBuilder, x: Tensor, scale: Weight, bias: Weight, eps: number): Tensor {
  return g.op('LayerNormalization', [x, g.weight(scale.name, scale.data, scale.shape), g.weight(bias.name, bias.data, bias.shape)],
    { axis: -1, epsilon: float(eps) });
}

/** RMSNorm over the last axis (Llama): x / sqrt(mean(x²) + eps) · weight. */
export function rmsNorm(g: GraphBuilder, x: Tensor, scale: Weight, eps: number): Tensor {
  const meanSquare = g.op('ReduceMean', [g.mul(x, x)], { axes: [-1], keepdims: 1 });
  const rms = g.op('Sqrt', [g.add(meanSquare, g.scalar(eps))]);
  return g.mul(g.div(x, rms), g.weight(scale.name, scale.data, scale.shape));
}

/** The activation names config.json uses (`hidden_act`, `activation_function`) that the builders implement. */
export const ACTIVATIONS = ['silu', 'swish', 'gelu', 'gelu_new', 'gelu_pytorch_tanh', 'gelu_fast', 'relu', 'quick_gelu'];

/** Applies an activation by its config.json name; undefined means the name is unknown. */
export function activation(g: GraphBuilder, x: Tensor, name: string): Tensor | undefined {
  switch (name) {
    case 'silu':
    case 'swish':
      return g.mul(x, g.op('Sigmoid', [x]));
    case 'gelu':
      // The exact (erf) form, as torch.nn.functional.gelu computes by default.
      return g.mul(g.mul(x, g.scalar(0.5)), g.add(g.op('Erf', [g.div(x, g.scalar(Math.SQRT2))]), g.scalar(1)));
    case 'gelu_new':
    case 'gelu_pytorch_tanh':
    case 'gelu_fast':
      return geluTanh(g, x);
    case 'relu':
      return g.op('Relu', [x]);
    case 'quick_gelu':
      return g.mul(x, g.op('Sigmoid', [g.mul(x, g.scalar(1.702))]));
    default:
      return undefined;
  }
}

// 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))): GPT-2's gelu_new; gelu_fast is the same function refactored.
function geluTanh(g: GraphBuilder, x: Tensor): Tensor {
  const cube = g.mul(g.mul(x, x), x);
  const inner = g.mul(g.add(x, g.mul(cube, g.scalar(0.044715))), g.scalar(Math.sqrt(2 / Math.PI)));
  return g.mul(g.mul(x, g.scalar(0.5)), g.add(g.op('Tanh', [inner]), g.scalar(1)));
}

/** Row-major [rows, cols] → [cols, rows]. */
export function transpose2d(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  // Blocked so both sides stay in cache on large projection matrices.
  const B = 64;
  for (let r0 = 0; r0 < rows; r0 += B) {
    for (let c0 = 0; c0 < cols; c0 += B) {
      const rEnd = Math.min(r0 + B, rows);
      const cEnd = Math.min(c0 + B, cols);
      for (let r = r0; r < rEnd; r++) {
        for (let c = c0; c < cEnd; c++) out[c * rows + r] = data[r * cols + c];
      }
    }
  }
  return out;
}
