// Small hand-built graphs around one fused attention node, and running them before and after the rewrite.
import assert from 'node:assert/strict';
import { onnx } from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { exposeAttention } from '../../src/engine/surgery';

export const F32 = onnx.TensorProto.DataType.FLOAT;
export const I32 = onnx.TensorProto.DataType.INT32;
export const I64 = onnx.TensorProto.DataType.INT64;
export const BOOL = onnx.TensorProto.DataType.BOOL;

export function valueInfo(name: string, elemType: number, dims: (number | string)[]): onnx.IValueInfoProto {
  return { name, type: { tensorType: { elemType, shape: { dim: dims.map((d) => typeof d === 'string' ? { dimParam: d } : { dimValue: d }) } } } };
}

type Attr = number | number[] | { f: number } | string;

/** One node; numbers are ints, {f} floats. */
export function node(opType: string, inputs: string[], outputs: string[], attrs: Record<string, Attr> = {}, domain = ''): onnx.INodeProto {
  const { AttributeType } = onnx.AttributeProto;
  return {
    opType, domain, input: inputs, output: outputs, name: `${opType}_${outputs[0]}`,
    attribute: Object.entries(attrs).map(([name, v]) =>
      typeof v === 'number' ? { name, type: AttributeType.INT, i: v }
        : typeof v === 'string' ? { name, type: AttributeType.STRING, s: new TextEncoder().encode(v) }
          : Array.isArray(v) ? { name, type: AttributeType.INTS, ints: v } : { name, type: AttributeType.FLOAT, f: v.f }),
  };
}

/** A float32 initializer. */
export function floats(name: string, data: Float32Array, dims: number[]): onnx.ITensorProto {
  return { name, dataType: F32, dims, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

export interface GraphSpec {
  nodes: onnx.INodeProto[];
  inputs: onnx.IValueInfoProto[];
  outputs: onnx.IValueInfoProto[];
  initializers?: onnx.ITensorProto[];
  opset?: number;
}

export function encode(spec: GraphSpec): Uint8Array {
  return onnx.ModelProto.encode({
    irVersion: spec.opset && spec.opset >= 23 ? 10 : 8,
    opsetImport: [{ domain: '', version: spec.opset ?? 17 }, { domain: 'com.microsoft', version: 1 }],
    graph: { name: 'fused', node: spec.nodes, input: spec.inputs, output: spec.outputs, initializer: spec.initializers ?? [] },
  }).finish();
}

/** Deterministic values in [−scale, scale). */
export function random(count: number, seed: number, scale = 1): Float32Array {
  let s = seed >>> 0 || 1;
  return Float32Array.from({ length: count }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32 * 2 - 1) * scale;
  });
}

export function f32(dims: number[], seed: number, scale = 1): ort.Tensor {
  return new ort.Tensor('float32', random(dims.reduce((a, b) => a * b, 1), seed, scale), dims);
}

export function maxDiff(a: ort.Tensor, b: ort.Tensor): number {
  assert.deepEqual([...b.dims], [...a.dims], 'same shape');
  const x = a.data as Float32Array;
  const y = b.data as Float32Array;
  let worst = 0;
  for (let i = 0; i < x.length; i++) {
    const d = Math.abs(x[i] - y[i]);
    worst = Number.isNaN(d) ? Infinity : Math.max(worst, d);
  }
  return worst;
}

export interface Compared {
  /** Largest difference over every original output, fused vs rewritten. */
  outputDiff: number;
  /** Each layer's probabilities from the rewritten graph. */
  attention: ort.Tensor[];
  /** The fused graph's own outputs. */
  fused: Record<string, ort.Tensor>;
}

/** Runs the fused graph and its rewritten, surgered form on the same feeds and compares every original output. */
export async function compareRewrite(bytes: Uint8Array, feeds: Record<string, ort.Tensor>): Promise<Compared> {
  const fusedSession = await ort.InferenceSession.create(bytes);
  const fused = await fusedSession.run(feeds);
  const exposed = exposeAttention(bytes);
  const session = await ort.InferenceSession.create(exposed.bytes);
  const out = await session.run(feeds);
  let outputDiff = 0;
  for (const name of fusedSession.outputNames) outputDiff = Math.max(outputDiff, maxDiff(fused[name], out[name]));
  await fusedSession.release();
  await session.release();
  return { outputDiff, attention: exposed.attentionOutputs.map((n) => out[n]), fused };
}

/** Every row of [.., q, k] probabilities sums to 1. */
export function assertDistributions(t: ort.Tensor): void {
  const keys = t.dims[t.dims.length - 1];
  const data = t.data as Float32Array;
  for (let r = 0; r < data.length / keys; r++) {
    let sum = 0;
    for (let k = 0; k < keys; k++) sum += data[r * keys + k];
    assert.ok(Math.abs(sum - 1) < 1e-5, `row ${r} sums to ${sum}`);
  }
}

/** float32 → IEEE half bits, round to nearest even (normal and subnormal range). */
export function toHalf(values: Float32Array): Uint16Array {
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  return Uint16Array.from(values, (v) => {
    f[0] = v;
    const x = u[0];
    const sign = (x >>> 16) & 0x8000;
    const exp = ((x >>> 23) & 0xff) - 127 + 15;
    let mant = x & 0x7fffff;
    if (exp >= 31) return sign | 0x7c00;
    if (exp <= 0) {
      if (exp < -10) return sign;
      mant |= 0x800000;
      const shift = 14 - exp;
      const half = mant >>> shift;
      const rest = mant & ((1 << shift) - 1);
      const mid = 1 << (shift - 1);
      return sign | (half + (rest > mid || (rest === mid && (half & 1)) ? 1 : 0));
    }
    const half = (exp << 10) | (mant >>> 13);
    const rest = mant & 0x1fff;
    return sign | (half + (rest > 0x1000 || (rest === 0x1000 && (half & 1)) ? 1 : 0));
  });
}

/** IEEE half bits → float32. */
export function fromHalf(bits: Uint16Array): Float32Array {
  return Float32Array.from(bits, (h) => {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >>> 10) & 0x1f;
    const mant = h & 0x3ff;
    if (exp === 0) return sign * mant * 2 ** -24;
    if (exp === 31) return mant ? NaN : sign * Infinity;
    return sign * (1 + mant / 1024) * 2 ** (exp - 15);
  });
}
