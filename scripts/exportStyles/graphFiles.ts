// Writing a style's model folder: the fixture's config and tokenizer files beside a rewritten graph,
// with its weights inline or in external data files laid out as exporters lay them out.
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { onnx } from 'onnx-proto';

/** The fixture models beside the repository. */
export const MODELS_DIR = path.resolve(__dirname, '..', '..', '..', 'shared', 'models');

const SMALL_FILES = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'generation_config.json', 'vocab.txt'];

/** The fixture's own ONNX export, decoded. */
export function fixtureGraph(fixture: string): onnx.ModelProto {
  return onnx.ModelProto.decode(readFileSync(path.join(MODELS_DIR, fixture, 'onnx', 'model.onnx')));
}

/** Starts an empty style folder holding the fixture's config and tokenizer. */
export function styleFolder(outDir: string, fixture: string): void {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(path.join(outDir, 'onnx'), { recursive: true });
  for (const file of SMALL_FILES) {
    const from = path.join(MODELS_DIR, fixture, file);
    if (existsSync(from)) copyFileSync(from, path.join(outDir, file));
  }
}

/** Writes the graph as `onnx/<name>`. */
export function writeGraph(outDir: string, name: string, model: onnx.IModelProto): string {
  const file = path.join(outDir, 'onnx', name);
  writeFileSync(file, onnx.ModelProto.encode(model).finish());
  return file;
}

/**
 * Moves every initializer of at least `minBytes` into external data files next to the graph:
 * `<graph>_data`, then `<graph>_data_1`, … once a file would pass `chunkBytes` (transformers.js's
 * chunked layout), each tensor at an offset aligned to 64 bytes.
 */
export function writeWithExternalData(outDir: string, name: string, model: onnx.IModelProto,
  options: { minBytes?: number; chunkBytes?: number; dataName?: string } = {}): string[] {
  const minBytes = options.minBytes ?? 1024;
  const chunkBytes = options.chunkBytes ?? Infinity;
  const base = options.dataName ?? `${name}_data`;
  const files: { name: string; parts: Uint8Array[]; size: number }[] = [];
  let current = { name: base, parts: [] as Uint8Array[], size: 0 };
  files.push(current);
  for (const tensor of model.graph?.initializer ?? []) {
    const raw = tensor.rawData;
    if (!raw || raw.length < minBytes) continue;
    if (current.size > 0 && current.size + raw.length > chunkBytes) {
      current = { name: `${base}_${files.length}`, parts: [], size: 0 };
      files.push(current);
    }
    const pad = (64 - (current.size % 64)) % 64;
    if (pad) current.parts.push(new Uint8Array(pad));
    const offset = current.size + pad;
    current.parts.push(raw);
    current.size = offset + raw.length;
    tensor.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
    tensor.externalData = [
      { key: 'location', value: current.name },
      { key: 'offset', value: String(offset) },
      { key: 'length', value: String(raw.length) },
    ];
    tensor.rawData = new Uint8Array(0);
  }
  for (const file of files) writeFileSync(path.join(outDir, 'onnx', file.name), Buffer.concat(file.parts));
  writeGraph(outDir, name, model);
  return files.map((f) => f.name);
}

/** The values of a float32 initializer. */
export function floats(tensor: onnx.ITensorProto): Float32Array {
  if (tensor.rawData?.length) {
    // A copy into a fresh buffer: protobufjs hands out Buffers whose slice() is a view of the whole file.
    const copy = new Uint8Array(tensor.rawData);
    return new Float32Array(copy.buffer, 0, copy.length / 4);
  }
  return Float32Array.from(tensor.floatData ?? []);
}
