import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { totalmem } from 'node:os';
import * as path from 'node:path';
import type { PrecisionChoice } from '../protocol';
import { hasCheckpoint } from './graphs';
import { EngineError } from './errors';
import { chooseVariant, graphVariants, type ListedFile } from './variants';

/** A model folder in Hugging Face layout, resolved to the files the engine reads. */
export interface ModelFolder {
  /** The folder holding config.json and tokenizer.json. */
  dir: string;
  /** The ONNX graph to run; absent when the graph is to be built from a safetensors checkpoint. */
  onnxPath?: string;
  /** A short name for messages: the folder name, or `name_or_path` from config.json. */
  id: string;
  config: ModelConfig;
}

/** The fields of config.json the engine reads; names differ between families, hence the unions. */
export interface ModelConfig {
  model_type?: string;
  architectures?: string[];
  is_decoder?: boolean;
  num_hidden_layers?: number;
  n_layer?: number;
  num_attention_heads?: number;
  n_head?: number;
  num_key_value_heads?: number;
  hidden_size?: number;
  n_embd?: number;
  head_dim?: number;
  // The context, under each family's name (src/engine/context.ts).
  max_position_embeddings?: number;
  n_positions?: number;
  n_ctx?: number;
  max_sequence_length?: number;
  _name_or_path?: string;
}

const DECODER_TYPES = new Set(['llama', 'mistral', 'qwen2', 'qwen3', 'gpt2', 'gpt_neo', 'gpt_neox', 'gptj',
  'phi', 'phi3', 'gemma', 'gemma2', 'falcon', 'mpt', 'bloom', 'opt', 'codegen', 'starcoder2', 'olmo', 'smollm3']);

/** Resolves a model folder (or an .onnx file inside one) into the files the engine needs; `precision` picks among variant graphs. */
export function resolveModelFolder(location: string, precision: PrecisionChoice = 'auto'): ModelFolder {
  const target = path.resolve(location);
  if (!existsSync(target)) {
    throw new EngineError('model-not-found', `The model folder ${location} does not exist. Check the attentionLens.model setting.`);
  }
  let dir: string;
  let onnxPath: string | undefined;
  if (statSync(target).isFile()) {
    if (!target.endsWith('.onnx')) {
      throw new EngineError('model-not-found', `${location} is a file but not an ONNX graph. Choose a model folder.`);
    }
    onnxPath = target;
    dir = path.dirname(target);
    if (!existsSync(path.join(dir, 'config.json')) && existsSync(path.join(dir, '..', 'config.json'))) dir = path.dirname(dir);
  } else {
    dir = target;
    onnxPath = findOnnx(dir, precision);
  }
  if (!onnxPath && !hasCheckpoint(dir)) {
    throw new EngineError('onnx-missing',
      `No ONNX graph was found in ${location}. Expected onnx/model.onnx (or model.onnx) in Hugging Face layout, or a model.safetensors checkpoint of a supported architecture.`);
  }
  const config = readConfig(dir);
  const id = config._name_or_path || downloadedFrom(dir) || path.basename(dir);
  return { dir, onnxPath, id, config };
}

// A snapshot in the Hugging Face cache is named after its commit (`.../models--owner--name/snapshots/<commit>`):
// the repo, and the ref that names the commit unless it is `main`, are what people call the model.
// The bundled default carries a record of where it came from instead (scripts/models.ts).
function downloadedFrom(dir: string): string | undefined {
  const snapshot = /[\\/]models--([^\\/]+)[\\/]snapshots[\\/]([0-9a-f]{40})[\\/]?$/.exec(dir);
  if (snapshot) {
    const repo = snapshot[1].split('--').join('/');
    const refs = path.join(dir, '..', '..', 'refs');
    const named = (name: string): boolean => readText(path.join(refs, name)) === snapshot[2];
    if (named('main')) return repo;
    const other = existsSync(refs) ? readdirSync(refs).find(named) : undefined;
    return other ? `${repo}@${other}` : `${repo}@${snapshot[2].slice(0, 12)}`;
  }
  try {
    const record = JSON.parse(readFileSync(path.join(dir, '.hub-snapshot.json'), 'utf8')) as { repo?: unknown; revision?: unknown };
    if (typeof record.repo !== 'string') return undefined;
    return record.revision === 'main' || typeof record.revision !== 'string' ? record.repo : `${record.repo}@${record.revision}`;
  } catch {
    return undefined;
  }
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}

function findOnnx(dir: string, precision: PrecisionChoice): string | undefined {
  const listed: ListedFile[] = [];
  for (const sub of ['', 'onnx']) {
    const folder = path.join(dir, sub);
    if (!existsSync(folder)) continue;
    for (const name of readdirSync(folder)) {
      const file = path.join(folder, name);
      const info = statSync(file, { throwIfNoEntry: false });
      if (info?.isFile()) listed.push({ path: sub ? `${sub}/${name}` : name, size: info.size });
    }
  }
  const variants = graphVariants(listed);
  if (variants.length === 0) {
    // Any other graph in onnx/, shortest name first (the least decorated export).
    const other = listed.filter((f) => f.path.startsWith('onnx/') && f.path.endsWith('.onnx')).sort((a, b) => a.path.length - b.path.length)[0];
    return other ? path.join(dir, other.path) : undefined;
  }
  const chosen = chooseVariant(variants, precision, totalmem());
  if (typeof chosen === 'string') {
    throw new EngineError('onnx-missing', `The precision ${precision} cannot be loaded from ${dir}: ${chosen}. ` +
      'Set attentionLens.precision (or --precision) to auto or to a variant the folder has.');
  }
  return path.join(dir, chosen.graph);
}

function readConfig(dir: string): ModelConfig {
  const file = path.join(dir, 'config.json');
  if (!existsSync(file)) return {};
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as ModelConfig;
  } catch (err) {
    throw new EngineError('config-mismatch', `config.json in ${dir} is not valid JSON.`, String(err));
  }
}

/** Layer count as config.json states it, when it does. */
export function configLayers(config: ModelConfig): number | undefined {
  return config.num_hidden_layers ?? config.n_layer;
}

/** Head count as config.json states it, when it does. */
export function configHeads(config: ModelConfig): number | undefined {
  return config.num_attention_heads ?? config.n_head;
}

/** Whether the model attends only to earlier tokens: decoders do, encoders such as BERT do not. */
export function isCausal(config: ModelConfig, inputNames: string[]): boolean {
  if (config.is_decoder) return true;
  if (config.architectures?.some((a) => /CausalLM|LMHeadModel/.test(a))) return true;
  if (config.model_type && DECODER_TYPES.has(config.model_type)) return true;
  return inputNames.some((n) => n.startsWith('past_key_values'));
}
