// Where the benchmarked models live: the shared fixtures beside the repository, and the synthetic
// models (BERT-base and Qwen2.5-0.5B shapes) generated once into the git-ignored cache.
import { readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { SafetensorsFile } from '../../src/engine/checkpoint/safetensors';
import { findCheckpoint } from '../../src/engine/checkpoint/checkpoint';
import { resolveModelFolder, type ModelFolder } from '../../src/engine/modelFolder';
import { SYNTHETIC_BERT, ensureSyntheticBert } from '../synthetic-bert';
import { syntheticLlamaFolder } from '../syntheticCheckpoint';
import { QWEN25_05B } from './loading';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
const FIXTURES = path.resolve(REPO_ROOT, '..', 'shared', 'models');
/** Git-ignored: the generated synthetic models, graphs built from checkpoints and the bundled workers. */
export const CACHE = path.join(REPO_ROOT, '.cache', 'bench');
/** The Qwen2.5-0.5B-shaped checkpoint of `--loading` and `--scale`. */
export const QWEN_RANDOM = 'qwen2.5-0.5b-random';

/** The model folder for a bench model name, generating a synthetic one when needed. */
export function benchModel(name: string, log: (line: string) => void): ModelFolder {
  if (name === QWEN_RANDOM) return resolveModelFolder(qwenRandomFolder(log));
  const dir = name === SYNTHETIC_BERT.name ? ensureSyntheticBert(CACHE, log) : path.join(FIXTURES, name);
  return resolveModelFolder(dir);
}

/** Random bf16 weights in Qwen2.5-0.5B's configuration (988 MB), with the tinystories-656k tokenizer. */
export function qwenRandomFolder(log: (line: string) => void): string {
  log(`${QWEN_RANDOM}: generating the checkpoint once if it is not in ${CACHE} (988 MB, bf16)`);
  return syntheticLlamaFolder(path.join(CACHE, QWEN_RANDOM), QWEN25_05B, 'BF16', path.join(FIXTURES, 'tinystories-656k'));
}

/** The longest input the model's position embeddings allow, when config.json says. */
export function maxPositions(folder: ModelFolder): number {
  const stated = (folder.config as { max_position_embeddings?: number }).max_position_embeddings;
  return stated ?? Infinity;
}

/**
 * The model's weights as onnxruntime holds them, float32: a checkpoint's element count × 4 (bf16
 * weights are cast when the session loads), or an ONNX export's files as they are.
 */
export async function float32WeightBytes(folder: ModelFolder): Promise<number> {
  const checkpoint = findCheckpoint(folder.dir);
  if (!folder.onnxPath && checkpoint?.endsWith('.safetensors')) {
    const file = await SafetensorsFile.open(checkpoint);
    try {
      return [...file.entries.values()].reduce((sum, e) => sum + 4 * e.shape.reduce((a, b) => a * b, 1), 0);
    } finally {
      await file.close();
    }
  }
  if (!folder.onnxPath) throw new Error(`${folder.dir}: no single safetensors file or ONNX graph to size`);
  const dir = path.dirname(folder.onnxPath);
  return readdirSync(dir).filter((f) => f.includes('.onnx')).reduce((sum, f) => sum + statSync(path.join(dir, f)).size, 0);
}
