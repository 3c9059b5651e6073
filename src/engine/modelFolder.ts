import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { hasCheckpoint } from './graphs';
import { EngineError } from './errors';

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
  _name_or_path?: string;
}

// Preference order when a folder holds several graphs: the plain full-sequence export first,
// then decoder variants whose KV-cache inputs take an empty past.
const ONNX_CANDIDATES = [
  'onnx/model.onnx',
  'model.onnx',
  'onnx/decoder_model.onnx',
  'onnx/model_with_past.onnx',
  'onnx/decoder_model_merged.onnx',
  'decoder_model.onnx',
];

const DECODER_TYPES = new Set(['llama', 'mistral', 'qwen2', 'qwen3', 'gpt2', 'gpt_neo', 'gpt_neox', 'gptj',
  'phi', 'phi3', 'gemma', 'gemma2', 'falcon', 'mpt', 'bloom', 'opt', 'codegen', 'starcoder2', 'olmo', 'smollm3']);

/** Resolves a model folder (or an .onnx file inside one) into the files the engine needs. */
export function resolveModelFolder(location: string): ModelFolder {
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
    onnxPath = findOnnx(dir);
  }
  if (!onnxPath && !hasCheckpoint(dir)) {
    throw new EngineError('onnx-missing',
      `No ONNX graph was found in ${location}. Expected onnx/model.onnx (or model.onnx) in Hugging Face layout, or a model.safetensors checkpoint of a supported architecture.`);
  }
  const config = readConfig(dir);
  const id = config._name_or_path || downloadedFrom(dir) || path.basename(dir);
  return { dir, onnxPath, id, config };
}

// A folder downloaded from a Hub is named after its revision (`.../owner--name/main`); the record
// models/snapshot.ts leaves in it names the repo, which is what people call the model.
function downloadedFrom(dir: string): string | undefined {
  try {
    const record = JSON.parse(readFileSync(path.join(dir, '.hub-snapshot.json'), 'utf8')) as { repo?: unknown; revision?: unknown };
    if (typeof record.repo !== 'string') return undefined;
    return record.revision === 'main' || typeof record.revision !== 'string' ? record.repo : `${record.repo}@${record.revision}`;
  } catch {
    return undefined;
  }
}

function findOnnx(dir: string): string | undefined {
  for (const rel of ONNX_CANDIDATES) {
    const p = path.join(dir, rel);
    if (existsSync(p)) return p;
  }
  const onnxDir = path.join(dir, 'onnx');
  if (existsSync(onnxDir)) {
    // Prefer full-precision graphs over quantised variants (model_quantized.onnx, model_q4.onnx, …).
    const files = readdirSync(onnxDir).filter((f) => f.endsWith('.onnx')).sort((a, b) => a.length - b.length);
    if (files.length > 0) return path.join(onnxDir, files[0]);
  }
  return undefined;
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
