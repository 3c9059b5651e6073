// Builds ONNX graphs node by node and writes them without holding the whole model in memory:
// a BERT-base sized model is ~440 MB of weights, so each initializer is encoded and written on its own.
import { closeSync, openSync, renameSync, writeSync } from 'node:fs';
import { onnx } from 'onnx-proto';

const { AttributeType } = onnx.AttributeProto;
const { DataType } = onnx.TensorProto;
// Wire tags (field number << 3 | 2 for length-delimited) of the fields written by hand.
const MODEL_GRAPH = 7 << 3 | 2;
const GRAPH_INITIALIZER = 5 << 3 | 2;
const TENSOR_RAW_DATA = 9 << 3 | 2;

/** Attribute constructors, so graph code reads like the ONNX operator docs. */
export const attr = {
  int: (name: string, i: number): onnx.IAttributeProto => ({ name, type: AttributeType.INT, i }),
  ints: (name: string, ints: number[]): onnx.IAttributeProto => ({ name, type: AttributeType.INTS, ints }),
  float: (name: string, f: number): onnx.IAttributeProto => ({ name, type: AttributeType.FLOAT, f }),
};

/** A weight tensor whose values are produced only when it is written. */
export interface LazyInitializer {
  name: string;
  dims: number[];
  values(): Float32Array;
}

/** Accumulates nodes named the way `torch.onnx.export` names them (`/scope/Op`, `/scope/Op_1`, …). */
export class GraphBuilder {
  readonly nodes: onnx.INodeProto[] = [];
  private readonly counts = new Map<string, number>();

  /** Adds one node and returns the name of its (single) output. */
  op(scope: string, opType: string, inputs: string[], attributes: onnx.IAttributeProto[] = []): string {
    const key = `${scope}/${opType}`;
    const n = this.counts.get(key) ?? 0;
    this.counts.set(key, n + 1);
    const name = n === 0 ? key : `${key}_${n}`;
    const output = `${name}_output_0`;
    this.nodes.push({ name, opType, input: inputs, output: [output], attribute: attributes });
    return output;
  }

  /** A Constant node holding int64 values; `dims` [] makes a scalar. */
  int64(scope: string, values: number[], dims: number[] = [values.length]): string {
    const raw = new BigInt64Array(values.map((v) => BigInt(v)));
    return this.constant(scope, { dataType: DataType.INT64, dims, rawData: bytesOf(raw) });
  }

  /** A Constant node holding one float32 scalar. */
  float(scope: string, value: number): string {
    return this.constant(scope, { dataType: DataType.FLOAT, dims: [], rawData: bytesOf(Float32Array.of(value)) });
  }

  private constant(scope: string, t: onnx.ITensorProto): string {
    return this.op(scope, 'Constant', [], [{ name: 'value', type: AttributeType.TENSOR, t }]);
  }
}

/** A graph input or output with named (dynamic) or fixed dimensions. */
export function valueInfo(name: string, elemType: number, dims: (string | number)[]): onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
      },
    },
  };
}

export interface ModelHeader {
  opset: number;
  producer: string;
  graphName: string;
  nodes: onnx.INodeProto[];
  inputs: onnx.IValueInfoProto[];
  outputs: onnx.IValueInfoProto[];
}

/**
 * Writes a ModelProto to `file`, streaming the initializers one at a time. The graph is written as a
 * single length-delimited field (its length is known up front) rather than as several merged
 * `graph` fields, because protobufjs decoders replace a repeated embedded message instead of merging it.
 */
export function writeModel(file: string, header: ModelHeader, initializers: LazyInitializer[]): number {
  const model = onnx.ModelProto.encode({
    irVersion: 7,
    producerName: header.producer,
    opsetImport: [{ domain: '', version: header.opset }],
  }).finish();
  const graphHead = onnx.GraphProto.encode({
    name: header.graphName, node: header.nodes, input: header.inputs, output: header.outputs,
  }).finish();
  const framed = initializers.map(frameInitializer);
  const graphLength = graphHead.length + framed.reduce((sum, f) => sum + f.head.length + f.rawLength, 0);

  const partial = `${file}.partial`;
  const fd = openSync(partial, 'w');
  let written = 0;
  const put = (bytes: Uint8Array): void => {
    writeSync(fd, bytes);
    written += bytes.length;
  };
  try {
    put(model);
    put(Uint8Array.of(MODEL_GRAPH, ...varint(graphLength)));
    put(graphHead);
    initializers.forEach((t, i) => {
      const raw = bytesOf(t.values());
      if (raw.length !== framed[i].rawLength) throw new Error(`${t.name}: ${raw.length} bytes, expected ${framed[i].rawLength}`);
      put(framed[i].head);
      put(raw);
    });
  } finally {
    closeSync(fd);
  }
  // Renamed only when complete, so an interrupted run never leaves a truncated model in the cache.
  renameSync(partial, file);
  return written;
}

// Everything of `initializer { name dims data_type raw_data }` up to the raw bytes themselves, which
// are written straight from the Float32Array instead of being copied through a protobuf writer.
function frameInitializer(t: LazyInitializer): { head: Uint8Array; rawLength: number } {
  const rawLength = 4 * t.dims.reduce((a, b) => a * b, 1);
  const fields = onnx.TensorProto.encode({ name: t.name, dims: t.dims, dataType: DataType.FLOAT }).finish();
  const rawHeader = [TENSOR_RAW_DATA, ...varint(rawLength)];
  const tensorLength = fields.length + rawHeader.length + rawLength;
  const head = Uint8Array.from([GRAPH_INITIALIZER, ...varint(tensorLength), ...fields, ...rawHeader]);
  return { head, rawLength };
}

/** The bytes of a typed array (ONNX raw_data is little-endian, as are the hosts this runs on). */
export function bytesOf(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

function varint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}
