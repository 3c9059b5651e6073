// Which of a model's ONNX variants to load, the way transformers.js names them by `dtype`:
// model.onnx (fp32), model_fp16.onnx, model_quantized/int8/uint8.onnx (8-bit),
// model_q4/q4f16/bnb4.onnx (4-bit). Pure: the folder reader and the Hub downloader both use it,
// so the one variant downloaded is the one the engine would load.
import type { PrecisionChoice } from '../protocol';

/** A file of a folder or repo, by path relative to its root, with its size. */
export interface ListedFile {
  path: string;
  size: number;
}

export type VariantPrecision = Exclude<PrecisionChoice, 'auto'>;

/** One loadable graph and the external data files that sit beside it. */
export interface GraphVariant {
  graph: string;
  precision: VariantPrecision;
  /** The graph's size plus its data files': what loading it reads. */
  bytes: number;
  dataFiles: string[];
}

// The plain full-sequence export first, then decoder variants whose KV-cache inputs take an empty past.
const GRAPHS = ['onnx/model', 'model', 'onnx/decoder_model', 'onnx/model_with_past', 'onnx/decoder_model_merged', 'decoder_model'];
const SUFFIXES: [string, VariantPrecision][] = [
  ['', 'fp32'], ['_fp16', 'fp16'], ['_quantized', 'q8'], ['_int8', 'q8'], ['_uint8', 'q8'], ['_q4', 'q4'], ['_q4f16', 'q4'], ['_bnb4', 'q4'],
];

/** Weights up to this share of the machine's memory load as fp32 under `auto`; larger ones take the smallest variant. */
export const FP32_MEMORY_SHARE = 0.25;

/** The variants of the first graph family the listing has (onnx/model*.onnx before model*.onnx, …). */
export function graphVariants(files: ListedFile[]): GraphVariant[] {
  const byPath = new Map(files.map((f) => [f.path, f]));
  for (const base of GRAPHS) {
    const found: GraphVariant[] = [];
    for (const [suffix, precision] of SUFFIXES) {
      const graph = `${base}${suffix}.onnx`;
      const file = byPath.get(graph);
      if (!file) continue;
      const dataFiles = files.filter((f) => isDataFileOf(graph, f.path)).map((f) => f.path);
      found.push({ graph, precision, bytes: file.size + dataFiles.reduce((s, p) => s + byPath.get(p)!.size, 0), dataFiles });
    }
    if (found.length) return found;
  }
  return [];
}

/** Whether `file` is, by the exporters' naming, external data of `graph`: `model.onnx_data`, `model.onnx_data_1`, `model.onnx.data`. */
export function isDataFileOf(graph: string, file: string): boolean {
  return file.startsWith(graph) && /^(?:_data(?:_\d+)?|\.data(?:_\d+)?)$/.test(file.slice(graph.length));
}

/** The variant a choice picks, or a sentence saying why none fits. */
export function chooseVariant(variants: GraphVariant[], choice: PrecisionChoice, memoryBytes: number): GraphVariant | string {
  if (variants.length === 0) return 'there is no ONNX graph';
  if (choice !== 'auto') {
    return variants.find((v) => v.precision === choice)
      ?? `it has no ${choice} variant (it has ${[...new Set(variants.map((v) => v.precision))].join(', ')})`;
  }
  const full = variants.find((v) => v.precision === 'fp32');
  if (full && full.bytes <= memoryBytes * FP32_MEMORY_SHARE) return full;
  return variants.reduce((best, v) => (v.bytes < best.bytes ? v : best));
}
