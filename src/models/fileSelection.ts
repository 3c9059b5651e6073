// Which files of a Hub repo make a model folder the engine can load. Repos often hold several
// exports (quantised ONNX variants, PyTorch, TensorFlow, Flax); fetching only what the engine reads
// keeps a download to the model's real size.
import { totalmem } from 'node:os';
import * as path from 'node:path';
import { onnx } from 'onnx-proto';
import { externalDataFiles } from '../engine/graphSession';
import type { PrecisionChoice } from '../protocol';
import { chooseVariant, graphVariants, isDataFileOf } from '../engine/variants';
import { ModelSourceError } from './errors';

/** A file as the Hub's tree listing announces it. */
export interface RepoFile {
  path: string;
  size: number;
  /** Git blob id (sha1) of the file, or of its LFS pointer. */
  gitOid?: string;
  /** sha256 of the content, for files stored with LFS. */
  lfsSha256?: string;
}

// Configuration and tokenizer files in every form the families use, plus the model card and
// licence, which must travel with weights that are redistributed (the bundled default is).
const SMALL_FILES = new Set([
  'config.json',
  'generation_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'added_tokens.json',
  'vocab.json',
  'vocab.txt',
  'merges.txt',
  'tokenizer.model',
  'README.md',
  'LICENSE',
  'LICENSE.txt',
  'LICENSE.md',
]);

const SAFETENSORS_SHARD = /^model-\d+-of-\d+\.safetensors$/;

/**
 * Picks the files to download from a repo listing: the one graph variant `precision` chooses (as the
 * engine would from the folder) with its external data files, else the safetensors checkpoint;
 * throws `unsupported` when no model is there.
 */
export function selectModelFiles(repo: string, files: RepoFile[], precision: PrecisionChoice = 'auto', memoryBytes = totalmem()): RepoFile[] {
  const byPath = new Map(files.map((f) => [f.path, f]));
  if (!byPath.has('config.json')) {
    throw new ModelSourceError('unsupported', `${repo} has no config.json, so it is not a Transformers model repo.`);
  }
  const chosen = files.filter((f) => SMALL_FILES.has(f.path));

  const variants = graphVariants(files);
  const variant = variants.length ? chooseVariant(variants, precision, memoryBytes) : undefined;
  if (typeof variant === 'string') {
    throw new ModelSourceError('unsupported', `${repo} cannot be loaded at precision ${precision}: ${variant}.`);
  }
  const graph = variant?.graph;
  if (variant) {
    // Weights of large graphs lie beside them (`model.onnx_data`, chunks `_data_1`, …, or
    // `model.onnx.data`); the engine checks after download that every file the graph names is here.
    chosen.push(byPath.get(variant.graph)!, ...variant.dataFiles.map((p) => byPath.get(p)!));
  } else if (byPath.has('model.safetensors')) {
    // No ONNX export: the engine builds a graph from the safetensors checkpoint.
    chosen.push(byPath.get('model.safetensors')!);
  } else if (byPath.has('model.safetensors.index.json')) {
    chosen.push(...files.filter((f) => f.path === 'model.safetensors.index.json' || SAFETENSORS_SHARD.test(f.path)));
  }

  if (!graph && !chosen.some((f) => f.path.endsWith('.safetensors'))) {
    throw new ModelSourceError(
      'unsupported',
      `${repo} publishes neither an ONNX export (onnx/model.onnx) nor safetensors weights; Attention Lens cannot load other formats such as pytorch_model.bin.`,
    );
  }
  return chosen;
}

/** The graph among chosen files (the one .onnx), if any. */
export function chosenGraph(chosen: RepoFile[]): RepoFile | undefined {
  return chosen.find((f) => f.path.endsWith('.onnx'));
}

/** After the graph arrived: the chosen files with the data files it names in place of those its name suggested. */
export function withNamedDataFiles(repo: string, chosen: RepoFile[], graphBytes: Uint8Array, files: RepoFile[]): RepoFile[] {
  const graph = chosenGraph(chosen);
  if (!graph) return chosen;
  const named = dataFilesNamedBy(repo, graph.path, graphBytes, files);
  return [...chosen.filter((f) => !isDataFileOf(graph.path, f.path)), ...named.filter((f, i) => named.indexOf(f) === i)];
}

/**
 * The files a downloaded graph's initializers name as external data, as listed in the repo: what
 * must come with it, whatever the exporter called them. Reads only the graph's structure.
 */
export function dataFilesNamedBy(repo: string, graphPath: string, graphBytes: Uint8Array, files: RepoFile[]): RepoFile[] {
  let model: onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(graphBytes);
  } catch {
    return []; // not a graph the engine can read either; it says so when loading
  }
  const dir = path.posix.dirname(graphPath);
  const byPath = new Map(files.map((f) => [f.path, f]));
  return externalDataFiles(model).map((location) => {
    const repoPath = path.posix.normalize(dir === '.' ? location : `${dir}/${location}`);
    const file = byPath.get(repoPath);
    if (!file) {
      throw new ModelSourceError('unsupported', `${repo}'s ${graphPath} keeps its weights in ${location}, which the repo does not have.`);
    }
    return file;
  });
}
