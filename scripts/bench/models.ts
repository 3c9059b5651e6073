// Where the benchmarked models live: the shared fixtures beside the repository, and the synthetic
// BERT-base generated once into the git-ignored cache.
import * as path from 'node:path';
import { resolveModelFolder, type ModelFolder } from '../../src/engine/modelFolder';
import { SYNTHETIC_BERT, ensureSyntheticBert } from '../synthetic-bert';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
const FIXTURES = path.resolve(REPO_ROOT, '..', 'shared', 'models');
/** Git-ignored: the generated synthetic model and the bundled floor worker. */
export const CACHE = path.join(REPO_ROOT, '.cache', 'bench');

/** The model folder for a bench model name, generating the synthetic one when needed. */
export function benchModel(name: string, log: (line: string) => void): ModelFolder {
  const dir = name === SYNTHETIC_BERT.name ? ensureSyntheticBert(CACHE, log) : path.join(FIXTURES, name);
  return resolveModelFolder(dir);
}

/** The longest input the model's position embeddings allow, when config.json says. */
export function maxPositions(folder: ModelFolder): number {
  const stated = (folder.config as { max_position_embeddings?: number }).max_position_embeddings;
  return stated ?? Infinity;
}
