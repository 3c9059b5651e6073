// Builds an ONNX graph from a safetensors checkpoint for folders that ship no ONNX export,
// with every layer's attention Softmax already listed as a graph output.
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { buildBert } from './bert';
import { Checkpoint, findCheckpoint } from '../checkpoint/checkpoint';
import { configProblem, unsupportedArchitecture } from '../checkpoint/failures';
import type { Config, FamilyBuilder } from './family';
import { buildGpt2 } from './gpt2';
import { buildLlama, LLAMA_TYPES } from './llama';

// Bump when the graphs built change, so cached graphs from an older builder are not reused.
const BUILDER_VERSION = 4;

const FAMILIES: Record<string, FamilyBuilder> = {
  ...Object.fromEntries(LLAMA_TYPES.map((t) => [t, buildLlama])),
  gpt2: buildGpt2,
  bert: buildBert,
};

/** The config.json `model_type` values a graph can be built for. */
export function supportedArchitectures(): string[] {
  return Object.keys(FAMILIES);
}

/** Whether the folder has safetensors weights (single file or sharded index) to build from. */
export function hasCheckpoint(dir: string): boolean {
  return findCheckpoint(dir) !== undefined;
}

/**
 * Builds the ONNX graph (float32 compute, opset 17, attention probabilities as outputs) for the
 * checkpoint in `dir`. Its initializers are external data pointing into the folder's safetensors
 * files, so it is a few hundred kilobytes at any model size: open it with `dir` as the external
 * data folder (see engine/graphSession.ts).
 */
export async function buildOnnxFromCheckpoint(dir: string): Promise<Uint8Array> {
  const config = readConfig(dir);
  const modelType = typeof config.model_type === 'string' ? config.model_type : undefined;
  if (!modelType) {
    throw configProblem('config.json does not say which architecture the model is (no "model_type"), so no graph can be built.',
      `architectures: ${JSON.stringify(config.architectures)}`);
  }
  const build = FAMILIES[modelType];
  if (!build) throw unsupportedArchitecture(modelType, supportedArchitectures());
  const checkpoint = await Checkpoint.open(dir);
  try {
    return await build(checkpoint, config);
  } finally {
    await checkpoint.close();
  }
}

/** Builds the graph and writes it to `cachePath` atomically (temp file, then rename); returns `cachePath`. */
export async function buildOnnxToFile(dir: string, cachePath: string): Promise<string> {
  const bytes = await buildOnnxFromCheckpoint(dir);
  await mkdir(path.dirname(cachePath), { recursive: true });
  const temp = `${cachePath}.${randomUUID()}.tmp`;
  try {
    await writeFile(temp, bytes);
    // rename is atomic on one filesystem: a concurrent reader sees the old file or the whole new one.
    await rename(temp, cachePath);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  return cachePath;
}

/** A key that changes when config.json, the weight files or the builder change: name cached graphs by it. */
export function checkpointCacheKey(dir: string): string {
  const hash = createHash('sha256').update(`builder ${BUILDER_VERSION}\n`);
  const config = path.join(dir, 'config.json');
  if (existsSync(config)) hash.update(readFileSync(config));
  const weights = findCheckpoint(dir);
  if (weights) {
    const files = weights.endsWith('.json') ? [weights, ...shardFiles(weights)] : [weights];
    for (const file of files) {
      const stat = statSync(file);
      hash.update(`${path.basename(file)} ${stat.size} ${stat.mtimeMs}\n`);
    }
  }
  return hash.digest('hex').slice(0, 32);
}

function shardFiles(index: string): string[] {
  try {
    const map = (JSON.parse(readFileSync(index, 'utf8')) as { weight_map?: Record<string, string> }).weight_map ?? {};
    return [...new Set(Object.values(map))].sort().map((s) => path.join(path.dirname(index), s)).filter((f) => existsSync(f));
  } catch {
    return [];
  }
}

function readConfig(dir: string): Config {
  const file = path.join(dir, 'config.json');
  if (!existsSync(file)) {
    throw configProblem(`${dir} has weights but no config.json, so Attention Lens cannot tell which architecture to build.`);
  }
  try {
    const config = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    if (!config || typeof config !== 'object' || Array.isArray(config)) throw new Error('not a JSON object');
    return config as Config;
  } catch (err) {
    throw configProblem(`config.json in ${dir} is not valid JSON.`, String(err));
  }
}
