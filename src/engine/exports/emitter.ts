import { onnx } from 'onnx-proto';
import { EngineError } from '../errors';

/** A tensor of the graph being rewritten, by name. */
export type Tensor = string;

const { DataType } = onnx.TensorProto;
const { AttributeType } = onnx.AttributeProto;
export const FLOAT = DataType.FLOAT;
export const INT64 = DataType.INT64;
export const INT32 = DataType.INT32;
export const BOOL = DataType.BOOL;

// torch.finfo(float32).min: masks a score to probability 0 without the NaN that −∞ gives on a fully masked row.
export const MASKED = -3.4028234663852886e38;

/** What a rewrite knows about the graph around the fused node: names in use, opset, declared tensor types. */
export class GraphFacts {
  readonly names = new Set<string>();
  private readonly infos = new Map<string, onnx.ITypeProto>();
  private readonly initializerDims = new Map<string, number[]>();
  private readonly producers = new Map<string, onnx.INodeProto>();

  constructor(graph: onnx.IGraphProto, readonly opset: number) {
    for (const node of graph.node ?? []) {
      if (node.name) this.names.add(node.name);
      for (const out of node.output ?? []) {
        this.names.add(out);
        this.producers.set(out, node);
      }
    }
    for (const info of [...(graph.input ?? []), ...(graph.valueInfo ?? []), ...(graph.output ?? [])]) {
      if (info.name && info.type) this.infos.set(info.name, info.type);
      if (info.name) this.names.add(info.name);
    }
    // Only the dims of initializers are read: their data may be external and stays untouched.
    for (const init of graph.initializer ?? []) {
      if (!init.name) continue;
      this.names.add(init.name);
      this.initializerDims.set(init.name, (init.dims ?? []).map(Number));
      if (!this.infos.has(init.name)) {
        this.infos.set(init.name, { tensorType: { elemType: init.dataType ?? 0, shape: { dim: (init.dims ?? []).map((d) => ({ dimValue: d })) } } });
      }
    }
  }

  /** The declared rank of a tensor, following Cast/Identity back to a declared one; undefined when the graph does not say. */
  rank(name: string): number | undefined {
    for (let t = name, i = 0; i < 8; i++) {
      const dims = this.infos.get(t)?.tensorType?.shape?.dim;
      if (dims) return dims.length;
      const p = this.producers.get(t);
      // EmbedLayerNormalization's second output is its mask_index, one length per row.
      if (p?.opType === 'EmbedLayerNormalization' && p.output?.[1] === t) return 1;
      if (!p || !['Cast', 'Identity'].includes(p.opType ?? '') || !p.input?.[0]) return undefined;
      t = p.input[0];
    }
    return undefined;
  }

  /** The declared element type of a tensor, or the type a Cast or comparison produces; undefined when unknown. */
  elemType(name: string): number | undefined {
    const declared = this.infos.get(name)?.tensorType?.elemType;
    if (declared) return declared;
    const p = this.producers.get(name);
    if (!p) return undefined;
    // Shape-only ops keep their input's type.
    if (['Unsqueeze', 'Squeeze', 'Reshape', 'Expand', 'Identity', 'Transpose'].includes(p.opType ?? '') && p.input?.[0]) return this.elemType(p.input[0]);
    if (p.opType === 'Cast') return Number(p.attribute?.find((a) => a.name === 'to')?.i ?? 0) || undefined;
    if (['Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual', 'And', 'Or', 'Not', 'Xor'].includes(p.opType ?? '')) return BOOL;
    return undefined;
  }
}

/** Emits the standard-op nodes that replace one fused node, with names unique in the graph. */
export class Emitter {
  readonly nodes: onnx.INodeProto[] = [];
  readonly initializers: onnx.ITensorProto[] = [];
  private readonly constants = new Map<string, Tensor>();

  constructor(readonly facts: GraphFacts, private readonly prefix: string) {}

  /** Adds a node; `outputs` are either a count of fresh names or the exact names to write. */
  op(opType: string, inputs: Tensor[], attrs: Record<string, number | number[] | { f: number }> = {}, outputs: number | string[] = 1): Tensor[] {
    const name = this.fresh(`${this.prefix}/${opType}`);
    const outs = typeof outputs === 'number' ? Array.from({ length: outputs }, (_, i) => this.fresh(`${name}_output_${i}`)) : outputs;
    this.nodes.push({
      name, opType, domain: '', input: inputs, output: outs,
      attribute: Object.entries(attrs).map(([key, value]) => attribute(key, value)),
    });
    return outs;
  }

  /** One-output node. */
  one(opType: string, inputs: Tensor[], attrs: Record<string, number | number[] | { f: number }> = {}, output?: string): Tensor {
    return this.op(opType, inputs, attrs, output ? [output] : 1)[0];
  }

  /** An int64 constant (shapes, axes, indices), shared when the same values recur; dims [] makes a scalar. */
  ints(values: number[], dims: number[] = [values.length]): Tensor {
    return this.constant(`i64[${dims}]:${values}`, () => ({
      dataType: INT64, dims, rawData: new Uint8Array(BigInt64Array.from(values, (v) => BigInt(v)).buffer),
    }));
  }

  /** A float scalar of the same element type as `like` (float16 graphs stay float16). */
  scalarLike(value: number, like: Tensor): Tensor {
    const f32 = this.constant(`f32:${value}`, () => ({ dataType: FLOAT, dims: [], rawData: new Uint8Array(Float32Array.of(value).buffer) }));
    return this.facts.opset >= 15 ? this.one('CastLike', [f32, like]) : f32;
  }

  /** Casts to the element type of `like`. */
  castLike(x: Tensor, like: Tensor): Tensor {
    return this.facts.opset >= 15 ? this.one('CastLike', [x, like]) : this.one('Cast', [x], { to: FLOAT });
  }

  // Everyday shape ops, in the form opset ≥ 13 takes them.
  reshape(x: Tensor, shape: number[] | Tensor): Tensor {
    return this.one('Reshape', [x, Array.isArray(shape) ? this.ints(shape) : shape]);
  }
  transpose(x: Tensor, perm: number[]): Tensor { return this.one('Transpose', [x], { perm }); }
  unsqueeze(x: Tensor, axes: number[]): Tensor { return this.one('Unsqueeze', [x, this.ints(axes)]); }
  squeeze(x: Tensor, axes: number[]): Tensor { return this.one('Squeeze', [x, this.ints(axes)]); }
  /** Slice along one axis with constant bounds. */
  slice(x: Tensor, axis: number, start: number, end: number): Tensor {
    return this.one('Slice', [x, this.ints([start]), this.ints([end]), this.ints([axis])]);
  }
  /** Slice along one axis with [1]-shaped int64 tensor bounds. */
  sliceDyn(x: Tensor, axis: number, start: Tensor, end: Tensor): Tensor {
    return this.one('Slice', [x, start, end, this.ints([axis])]);
  }
  /** Dimension `axis` of x as an int64 [1]. */
  dim(x: Tensor, axis: number): Tensor {
    return this.one('Gather', [this.one('Shape', [x]), this.ints([axis])], { axis: 0 });
  }

  private constant(key: string, make: () => onnx.ITensorProto): Tensor {
    const known = this.constants.get(key);
    if (known) return known;
    const name = this.fresh(`${this.prefix}/const${this.constants.size}`);
    this.initializers.push({ ...make(), name });
    this.constants.set(key, name);
    return name;
  }

  private fresh(base: string): string {
    let name = base;
    for (let i = 1; this.facts.names.has(name); i++) name = `${base}_${i}`;
    this.facts.names.add(name);
    return name;
  }
}

function attribute(name: string, value: number | number[] | { f: number }): onnx.IAttributeProto {
  if (typeof value === 'number') return { name, type: AttributeType.INT, i: value };
  if (Array.isArray(value)) return { name, type: AttributeType.INTS, ints: value };
  return { name, type: AttributeType.FLOAT, f: value.f };
}

/** Reads a fused node's attributes and inputs, refusing in the op's name what a rewrite does not cover. */
export class FusedNode {
  readonly op: string;

  constructor(readonly node: onnx.INodeProto) {
    this.op = `${node.domain || 'ai.onnx'}.${node.opType}`;
  }

  /** An int attribute, or `fallback` when absent. */
  int(name: string, fallback: number): number {
    const a = this.node.attribute?.find((x) => x.name === name);
    return a ? Number(a.i ?? 0) : fallback;
  }

  /** A float attribute, or undefined when absent. */
  float(name: string): number | undefined {
    const a = this.node.attribute?.find((x) => x.name === name);
    return a ? Number(a.f ?? 0) : undefined;
  }

  ints(name: string): number[] | undefined {
    const a = this.node.attribute?.find((x) => x.name === name);
    return a ? (a.ints ?? []).map(Number) : undefined;
  }

  string(name: string): string | undefined {
    const a = this.node.attribute?.find((x) => x.name === name);
    return a?.s ? new TextDecoder().decode(a.s) : undefined;
  }

  /** Input `i`, or undefined when absent or empty. */
  input(i: number): Tensor | undefined {
    const name = this.node.input?.[i];
    return name ? name : undefined;
  }

  /** Output `i`, or undefined when the graph does not use it. */
  output(i: number): Tensor | undefined {
    const name = this.node.output?.[i];
    return name ? name : undefined;
  }

  /** The refusal every rewrite gives for a combination it does not cover. */
  unsupported(what: string): EngineError {
    return new EngineError('fused-attention',
      `This model uses fused attention (${this.op}) with ${what}, which Attention Lens cannot yet rewrite into ` +
      'standard operators to show the attention. Use an unfused export instead: `optimum-cli export onnx --no-post-process` ' +
      'or `torch.onnx.export` with eager attention.',
      `node ${this.node.name || '(unnamed)'}`);
  }

  /** Refuses when any of the named inputs (by index) is present. */
  refuseInputs(names: Record<number, string>): void {
    for (const [i, label] of Object.entries(names)) {
      if (this.input(Number(i))) throw this.unsupported(`the input ${label}`);
    }
  }
}
