// A small ONNX graph writer for the export styles: nodes in any domain (com.microsoft kernels),
// float32 weights inline or in one external data file, as the exporters being imitated lay them out.
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { onnx } from 'onnx-proto';

export type Tensor = string;
export type Attr = number | number[] | { f: number } | string;

const { DataType, DataLocation } = onnx.TensorProto;
export const FLOAT = DataType.FLOAT;
export const INT32 = DataType.INT32;
export const INT64 = DataType.INT64;
export const BOOL = DataType.BOOL;
export const MS = 'com.microsoft';

interface Weight { name: string; data: Float32Array; dims: number[] }

/** One graph under construction; `write` lays it out as a file (and its external data). */
export class StyleGraph {
  private readonly nodes: onnx.INodeProto[] = [];
  private readonly weights: Weight[] = [];
  private readonly constants: onnx.ITensorProto[] = [];
  private readonly inputs: onnx.IValueInfoProto[] = [];
  private readonly outputs: onnx.IValueInfoProto[] = [];
  private readonly valueInfo: onnx.IValueInfoProto[] = [];
  private count = 0;

  constructor(private readonly name: string, private readonly opset: number) {}

  input(name: string, elemType: number, dims: (number | string)[]): Tensor {
    this.inputs.push(info(name, elemType, dims));
    return name;
  }

  output(name: string, elemType: number, dims: (number | string)[]): void {
    this.outputs.push(info(name, elemType, dims));
  }

  /** Declares a tensor's type, as exporters do for the values fused kernels read. */
  declare(name: string, elemType: number, dims: (number | string)[]): void {
    this.valueInfo.push(info(name, elemType, dims));
  }

  weight(name: string, data: Float32Array, dims: number[]): Tensor {
    if (data.length !== dims.reduce((a, b) => a * b, 1)) throw new Error(`weight ${name}: ${data.length} values for [${dims}]`);
    this.weights.push({ name, data, dims });
    return name;
  }

  /** A small int64 constant, always inline. */
  ints(values: number[], dims: number[] = [values.length]): Tensor {
    const name = `/constants/i64_${this.count++}`;
    this.constants.push({ name, dataType: INT64, dims, rawData: new Uint8Array(BigInt64Array.from(values, BigInt).buffer) });
    return name;
  }

  /** A float32 scalar constant, inline. */
  scalar(value: number): Tensor {
    const name = `/constants/f32_${this.count++}`;
    this.constants.push({ name, dataType: FLOAT, dims: [], rawData: new Uint8Array(Float32Array.of(value).buffer) });
    return name;
  }

  /** Adds a node; returns its outputs (fresh names, or the names given). */
  op(opType: string, inputs: Tensor[], attrs: Record<string, Attr> = {}, options: { domain?: string; outputs?: number | string[]; name?: string } = {}): Tensor[] {
    const name = options.name ?? `/${opType}_${this.count++}`;
    const outs = Array.isArray(options.outputs) ? options.outputs
      : Array.from({ length: options.outputs ?? 1 }, (_, i) => `${name}/output_${i}`);
    this.nodes.push({ name, opType, domain: options.domain ?? '', input: inputs, output: outs, attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)) });
    return outs;
  }

  one(opType: string, inputs: Tensor[], attrs: Record<string, Attr> = {}, options: { domain?: string; output?: string; name?: string } = {}): Tensor {
    return this.op(opType, inputs, attrs, { ...options, outputs: options.output ? [options.output] : 1 })[0];
  }

  /** Writes `file` into `dir`; with `dataFile`, every weight goes into that external data file. */
  write(dir: string, file: string, dataFile?: string): void {
    mkdirSync(dir, { recursive: true });
    const initializers: onnx.ITensorProto[] = [...this.constants];
    const chunks: Uint8Array[] = [];
    let offset = 0;
    for (const w of this.weights) {
      const bytes = new Uint8Array(w.data.buffer, w.data.byteOffset, w.data.byteLength);
      if (!dataFile) {
        initializers.push({ name: w.name, dataType: FLOAT, dims: w.dims, rawData: bytes });
        continue;
      }
      initializers.push({
        name: w.name, dataType: FLOAT, dims: w.dims, dataLocation: DataLocation.EXTERNAL,
        externalData: [{ key: 'location', value: dataFile }, { key: 'offset', value: String(offset) }, { key: 'length', value: String(bytes.length) }],
      });
      chunks.push(bytes);
      offset += bytes.length;
      // Keep each tensor 64-byte aligned, as onnx's external-data writer allows memory mapping.
      const pad = (64 - (offset % 64)) % 64;
      if (pad) {
        chunks.push(new Uint8Array(pad));
        offset += pad;
      }
    }
    const model = onnx.ModelProto.encode({
      irVersion: this.opset >= 21 ? 10 : 8,
      opsetImport: [{ domain: '', version: this.opset }, { domain: MS, version: 1 }],
      producerName: 'attention-lens export-styles',
      graph: { name: this.name, node: this.nodes, initializer: initializers, input: this.inputs, output: this.outputs, valueInfo: this.valueInfo },
    }).finish();
    writeFileSync(path.join(dir, file), model);
    if (dataFile) writeFileSync(path.join(dir, dataFile), Buffer.concat(chunks));
  }
}

function info(name: string, elemType: number, dims: (number | string)[]): onnx.IValueInfoProto {
  return { name, type: { tensorType: { elemType, shape: { dim: dims.map((d) => typeof d === 'string' ? { dimParam: d } : { dimValue: d }) } } } };
}

function attribute(name: string, value: Attr): onnx.IAttributeProto {
  const { AttributeType } = onnx.AttributeProto;
  if (typeof value === 'number') return { name, type: AttributeType.INT, i: value };
  if (typeof value === 'string') return { name, type: AttributeType.STRING, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) return { name, type: AttributeType.INTS, ints: value };
  return { name, type: AttributeType.FLOAT, f: value.f };
}

/** Row-major [rows, cols] → [cols, rows] (torch Linear weights become MatMul operands). */
export function transposed(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c];
  return out;
}
