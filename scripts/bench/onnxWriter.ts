// Writes a model built with the engine's GraphBuilder without holding it whole in memory: a
// BERT-base sized model is ~440 MB of weights, so each lazy weight is made, encoded and written on
// its own.
import { closeSync, openSync, renameSync, writeSync } from 'node:fs';
import { onnx } from 'onnx-proto';
import type { GraphBuilder, LazyWeight } from '../../src/engine/graphs/graph';

const { DataType } = onnx.TensorProto;
// Wire tags (field number << 3 | 2 for length-delimited) of the fields written by hand.
const MODEL_GRAPH = 7 << 3 | 2;
const GRAPH_INITIALIZER = 5 << 3 | 2;
const TENSOR_RAW_DATA = 9 << 3 | 2;

/**
 * Writes the builder's model to `file`, streaming its lazy weights one at a time. The graph is written
 * as a single length-delimited field (its length is known up front) rather than as several merged
 * `graph` fields, because protobufjs decoders replace a repeated embedded message instead of merging it.
 */
export function writeModel(file: string, g: GraphBuilder, docString: string): number {
  const { graph, ...rest } = g.proto(docString);
  const model = onnx.ModelProto.encode(rest).finish();
  const graphHead = onnx.GraphProto.encode(graph!).finish();
  const framed = g.lazyWeights.map(frameInitializer);
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
    g.lazyWeights.forEach((t, i) => {
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
function frameInitializer(t: LazyWeight): { head: Uint8Array; rawLength: number } {
  const rawLength = 4 * t.dims.reduce((a, b) => a * b, 1);
  const fields = onnx.TensorProto.encode({ name: t.name, dims: t.dims, dataType: DataType.FLOAT }).finish();
  const rawHeader = [TENSOR_RAW_DATA, ...varint(rawLength)];
  const tensorLength = fields.length + rawHeader.length + rawLength;
  const head = Uint8Array.from([GRAPH_INITIALIZER, ...varint(tensorLength), ...fields, ...rawHeader]);
  return { head, rawLength };
}

/** The bytes of a typed array (ONNX raw_data is little-endian, as are the hosts this runs on). */
function bytesOf(view: ArrayBufferView): Uint8Array {
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
