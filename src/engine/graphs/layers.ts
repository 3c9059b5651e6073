import type { StoredTensor } from '../checkpoint/checkpoint';
import { float, type GraphBuilder, type Tensor } from './graph';

/** A checkpoint parameter as the graph names it, and where its bytes lie. */
export interface Weight {
  name: string;
  shape: number[];
  stored: StoredTensor;
}

/** The parameter as a float32 tensor of the graph (its bytes stay in the checkpoint). */
export function param(g: GraphBuilder, weight: Weight): Tensor {
  return g.stored(weight.name, weight.stored);
}

/** nn.Linear: the checkpoint's [out, in] weight, read where it lies. */
export function linear(g: GraphBuilder, x: Tensor, weight: Weight, bias?: Weight): Tensor {
  const [out, inp] = weight.shape;
  return project(g, x, param(g, weight), out, inp, bias && param(g, bias));
}

/**
 * x · Wᵀ (+ b) for a weight stored [out, in], as Gemm with transB over x flattened to 2-D. A
 * MatMul would need Wᵀ, which onnxruntime would materialise as one more copy of every weight when
 * it folds the Transpose; Gemm's packing reads the stored layout directly.
 */
export function project(g: GraphBuilder, x: Tensor, weight: Tensor, out: number, inp: number, bias?: Tensor): Tensor {
  const flat = g.reshape(x, [-1, inp]);
  const y = g.op('Gemm', bias ? [flat, weight, bias] : [flat, weight], { transB: 1 });
  const leading = g.op('Slice', [g.op('Shape', [x]), g.ints([0]), g.ints([-1])]);
  return g.op('Reshape', [y, g.concat([leading, g.ints([out])], 0)]);
}

/** GPT-2's Conv1D, whose weight is already [in, out]. */
export function conv1d(g: GraphBuilder, x: Tensor, weight: Weight, bias?: Weight): Tensor {
  const y = g.matMul(x, param(g, weight));
  return bias ? g.add(y, param(g, bias)) : y;
}

/** torch LayerNorm over the last axis, as the single opset-17 LayerNormalization kernel. */
export function layerNorm(g: GraphBuilder, x: Tensor, scale: Weight, bias: Weight, eps: number): Tensor {
  return g.op('LayerNormalization', [x, param(g, scale), param(g, bias)],
    { axis: -1, epsilon: float(eps) });
}

/** RMSNorm over the last axis (Llama): x / sqrt(mean(x²) + eps) · weight. */
export function rmsNorm(g: GraphBuilder, x: Tensor, scale: Weight, eps: number): Tensor {
  const meanSquare = g.op('ReduceMean', [g.mul(x, x)], { axes: [-1], keepdims: 1 });
  const rms = g.op('Sqrt', [g.add(meanSquare, g.scalar(eps))]);
  return g.mul(g.div(x, rms), param(g, scale));
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
