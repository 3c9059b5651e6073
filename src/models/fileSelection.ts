// Which files of a Hub repo make a model folder the engine can load. Repos often hold several
// exports (quantised ONNX variants, PyTorch, TensorFlow, Flax); fetching only what the engine reads
// keeps a download to the model's real size.
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

// The engine's own preference among graphs, so the one graph fetched is the one it would run.
const ONNX_GRAPHS = [
  'onnx/model.onnx',
  'model.onnx',
  'onnx/decoder_model.onnx',
  'onnx/model_with_past.onnx',
  'onnx/decoder_model_merged.onnx',
];

const SAFETENSORS_SHARD = /^model-\d+-of-\d+\.safetensors$/;

/** Picks the files to download from a repo listing; throws `unsupported` when no model is there. */
export function selectModelFiles(repo: string, files: RepoFile[]): RepoFile[] {
  const byPath = new Map(files.map((f) => [f.path, f]));
  if (!byPath.has('config.json')) {
    throw new ModelSourceError('unsupported', `${repo} has no config.json, so it is not a Transformers model repo.`);
  }
  const chosen = files.filter((f) => SMALL_FILES.has(f.path));

  const graph = ONNX_GRAPHS.find((p) => byPath.has(p));
  if (graph) {
    // Graphs over 2 GB keep their weights beside them: `model.onnx_data` (split as `_data_1`, ...
    // by some exporters) or `model.onnx.data`.
    const externalData = new RegExp(`^${graph.replace(/\./g, '\\.')}(?:_data(?:_\\d+)?|\\.data)$`);
    chosen.push(...files.filter((f) => f.path === graph || externalData.test(f.path)));
  }

  // Safetensors come too when present: the engine can build a graph from them, and they are what
  // many repos (including the bundled default) publish instead of an ONNX export.
  if (byPath.has('model.safetensors')) {
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
