import { onnx } from 'onnx-proto';
import type { StoredTensor } from '../checkpoint/checkpoint';
import { ONNX_DTYPES } from '../checkpoint/safetensors';

/** A tensor in the graph under construction, by name. */
export type Tensor = string;

// Opset 17 is the first with LayerNormalization, so BERT and GPT-2 norms are one kernel with
// torch's exact semantics instead of a seven-node pattern; it keeps ReduceMean's `axes` an
// attribute (18 moved it to an input) and every onnxruntime provider we target implements it.
export const OPSET = 17;
const IR_VERSION = 8;

const { DataType } = onnx.TensorProto;
export const FLOAT = DataType.FLOAT;
export const INT64 = DataType.INT64;
export const BOOL = DataType.BOOL;

/** A float attribute: plain numbers are ints, so floats say so explicitly. */
export interface FloatAttr { f: number }
export const float = (f: number): FloatAttr => ({ f });
type AttrValue = number | number[] | FloatAttr | string;

/** How a model is labelled when written: its opset (default OPSET) and producer name. */
export interface ModelOptions {
  opset?: number;
  producer?: string;
}

/** A float32 weight whose values are made only when the model is written. */
export interface LazyWeight {
  name: string;
  dims: number[];
  values(): Float32Array;
}

/**
 * Builds one ONNX graph: names stay unique and read like a torch export (`/model/layers.0/self_attn/Softmax`).
 * The engine builds graphs from checkpoints with it, and the benchmark its synthetic models.
 */
export class GraphBuilder {
  private readonly nodes: onnx.INodeProto[] = [];
  private readonly initializers: onnx.ITensorProto[] = [];
  private readonly inputs: onnx.IValueInfoProto[] = [];
  private readonly outputs: onnx.IValueInfoProto[] = [];
  private readonly names = new Set<string>();
  private readonly constants = new Map<string, Tensor>();
  private scopePath = '';
  /** Weights declared with lazyWeight, in order; proto() leaves them out for a writer that streams them. */
  readonly lazyWeights: LazyWeight[] = [];

  constructor(private readonly graphName: string, private readonly options: ModelOptions = {}) {}

  /** Runs `fn` with node names under `/<prefix>`, as torch.onnx.export names module scopes. */
  scope<T>(prefix: string, fn: () => T): T {
    const saved = this.scopePath;
    this.scopePath = `${saved}/${prefix}`;
    try {
      return fn();
    } finally {
      this.scopePath = saved;
    }
  }

  /** Declares a graph input; string dims are symbolic (dynamic) axes. */
  input(name: string, elemType: number, dims: (number | string)[]): Tensor {
    this.claim(name);
    this.inputs.push(valueInfo(name, elemType, dims));
    return name;
  }

  /** Declares a tensor as a graph output; `as` renames it (through Identity) to a standard name such as `logits`. */
  output(tensor: Tensor, elemType: number, dims: (number | string)[], as?: string): void {
    let name = tensor;
    if (as !== undefined) {
      this.claim(as);
      this.nodes.push({ name: this.unique(`/${as}/Identity`), opType: 'Identity', input: [tensor], output: [as] });
      name = as;
    }
    this.outputs.push(valueInfo(name, elemType, dims));
  }

  /** A float32 initializer; the array's bytes are stored as raw_data (little-endian, as on every host Node runs on). */
  weight(name: string, data: Float32Array, dims: number[]): Tensor {
    const expected = dims.reduce((a, b) => a * b, 1);
    if (data.length !== expected) throw new Error(`weight ${name}: ${data.length} values for shape [${dims.join(', ')}]`);
    this.claim(name);
    this.initializers.push({ name, dataType: FLOAT, dims, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });
    return name;
  }

  /** A float32 initializer whose values are produced only when the model is encoded or streamed to a file. */
  lazyWeight(name: string, dims: number[], values: () => Float32Array): Tensor {
    this.claim(name);
    this.lazyWeights.push({ name, dims, values });
    return name;
  }

  /**
   * A checkpoint tensor left where it is: the initializer's external data points at its bytes in
   * the safetensors file (relative to the model folder), so the graph stays small at any model size
   * and nothing is copied. Half-precision and float64 weights get a Cast to float32, which
   * onnxruntime folds once at load.
   */
  stored(name: string, tensor: StoredTensor): Tensor {
    this.claim(name);
    this.initializers.push({
      name, dataType: ONNX_DTYPES[tensor.dtype], dims: tensor.shape,
      dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
      externalData: [
        { key: 'location', value: tensor.file.split(/[\\/]/).join('/') },
        { key: 'offset', value: String(tensor.offset) },
        { key: 'length', value: String(tensor.length) },
      ],
    });
    return tensor.dtype === 'F32' ? name : this.cast(name, FLOAT);
  }

  /** An int64 constant (shapes, axes, indices), shared when the same values recur. */
  ints(values: number[], dims: number[] = [values.length]): Tensor {
    return this.constant(`i64[${dims}]:${values}`, () => ({
      dataType: INT64, dims, rawData: new Uint8Array(BigInt64Array.from(values, (v) => BigInt(v)).buffer),
    }));
  }

  /** A float32 scalar constant, shared when the same value recurs. */
  scalar(value: number): Tensor {
    return this.constant(`f32:${value}`, () => ({
      dataType: FLOAT, dims: [], rawData: new Uint8Array(Float32Array.of(value).buffer),
    }));
  }

  /** Adds a node and returns its first output. */
  op(opType: string, inputs: Tensor[], attrs: Record<string, AttrValue> = {}): Tensor {
    return this.opN(opType, inputs, 1, attrs)[0];
  }

  /** Adds a node with `outputs` outputs and returns their names. */
  opN(opType: string, inputs: Tensor[], outputs: number, attrs: Record<string, AttrValue> = {}): Tensor[] {
    const name = this.unique(`${this.scopePath}/${opType}`);
    const outs = Array.from({ length: outputs }, (_, i) => this.unique(`${name}_output_${i}`));
    this.nodes.push({
      name, opType, input: inputs, output: outs,
      attribute: Object.entries(attrs).map(([key, value]) => attribute(key, value)),
    });
    return outs;
  }

  // The everyday ops, named as ONNX names them.
  matMul(a: Tensor, b: Tensor): Tensor { return this.op('MatMul', [a, b]); }
  add(a: Tensor, b: Tensor): Tensor { return this.op('Add', [a, b]); }
  sub(a: Tensor, b: Tensor): Tensor { return this.op('Sub', [a, b]); }
  mul(a: Tensor, b: Tensor): Tensor { return this.op('Mul', [a, b]); }
  div(a: Tensor, b: Tensor): Tensor { return this.op('Div', [a, b]); }
  /** Reshape where 0 keeps that input dim and -1 infers one. */
  reshape(x: Tensor, shape: number[]): Tensor { return this.op('Reshape', [x, this.ints(shape)]); }
  transpose(x: Tensor, perm: number[]): Tensor { return this.op('Transpose', [x], { perm }); }
  unsqueeze(x: Tensor, axes: number[]): Tensor { return this.op('Unsqueeze', [x, this.ints(axes)]); }
  softmax(x: Tensor, axis = -1): Tensor { return this.op('Softmax', [x], { axis }); }
  gather(data: Tensor, indices: Tensor, axis = 0): Tensor { return this.op('Gather', [data, indices], { axis }); }
  cast(x: Tensor, to: number): Tensor { return this.op('Cast', [x], { to }); }
  concat(parts: Tensor[], axis: number): Tensor { return this.op('Concat', parts, { axis }); }
  /** Slice along one axis, [start, end). */
  slice(x: Tensor, axis: number, start: number, end: number): Tensor {
    return this.op('Slice', [x, this.ints([start]), this.ints([end]), this.ints([axis])]);
  }

  /** Serialises the model, lazy weights included. */
  encode(docString: string): Uint8Array {
    const model = this.proto(docString);
    const lazy = this.lazyWeights.map(({ name, dims, values }): onnx.ITensorProto => {
      const data = values();
      return { name, dataType: FLOAT, dims, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
    });
    return onnx.ModelProto.encode({ ...model, graph: { ...model.graph, initializer: [...this.initializers, ...lazy] } }).finish();
  }

  /** The model as a message, without the lazy weights (see lazyWeights). */
  proto(docString: string): onnx.IModelProto {
    return {
      irVersion: IR_VERSION,
      opsetImport: [{ domain: '', version: this.options.opset ?? OPSET }],
      producerName: this.options.producer ?? 'attention-lens',
      docString,
      graph: {
        name: this.graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    };
  }

  private constant(key: string, make: () => onnx.ITensorProto): Tensor {
    const known = this.constants.get(key);
    if (known) return known;
    const name = this.unique(`/constants/c${this.constants.size}`);
    this.initializers.push({ ...make(), name });
    this.constants.set(key, name);
    return name;
  }

  private claim(name: string): void {
    if (this.names.has(name)) throw new Error(`duplicate tensor name ${name}`);
    this.names.add(name);
  }

  private unique(base: string): string {
    let name = base;
    for (let i = 1; this.names.has(name); i++) name = `${base}_${i}`;
    this.names.add(name);
    return name;
  }
}

function valueInfo(name: string, elemType: number, dims: (number | string)[]): onnx.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType, shape: { dim: dims.map((d) => typeof d === 'string' ? { dimParam: d } : { dimValue: d }) } } },
  };
}

function attribute(name: string, value: AttrValue): onnx.IAttributeProto {
  const { AttributeType } = onnx.AttributeProto;
  if (typeof value === 'number') return { name, type: AttributeType.INT, i: value };
  if (typeof value === 'string') return { name, type: AttributeType.STRING, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) return { name, type: AttributeType.INTS, ints: value };
  return { name, type: AttributeType.FLOAT, f: value.f };
}
