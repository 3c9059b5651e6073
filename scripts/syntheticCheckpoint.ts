// Random-weights checkpoints of real shapes, written straight to disk (never held in memory), for
// the checks and benchmarks that need a model larger than the fixtures: a Llama-shaped checkpoint
// over 2 GB, and one with Qwen2.5-0.5B's configuration. Values depend only on a tensor's name and
// position, so two checkpoints that differ in vocabulary size share every other weight exactly.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync, writeFileSync, writeSync } from 'node:fs';
import * as path from 'node:path';

/** config.json of a synthetic model. */
export type SyntheticConfig = Record<string, number | boolean | string | string[]>;

/** One tensor to write: `norm` tensors are all ones, others uniform in ±scale. */
export interface TensorSpec {
  name: string;
  shape: number[];
  kind: 'weight' | 'norm' | 'bias';
}

export type SyntheticDtype = 'F32' | 'BF16';

const BLOCK = 1 << 20;
// One block of uniform values in [-1, 1) from a fixed LCG; tensors read it at a per-name phase.
const block = (() => {
  const values = new Float32Array(BLOCK + 4096);
  let seed = 12345;
  for (let i = 0; i < values.length; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    values[i] = seed / 2 ** 31 - 1;
  }
  return values;
})();

function phase(name: string): number {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619) >>> 0;
  return h % 4096;
}

/** The tensors of a Llama/Qwen2 checkpoint with this config.json (an lm_head only for an untied *ForCausalLM). */
export function llamaTensors(config: SyntheticConfig): TensorSpec[] {
  const hidden = Number(config.hidden_size);
  const heads = Number(config.num_attention_heads);
  const kv = Number(config.num_key_value_heads ?? heads);
  const dim = hidden / heads;
  const inter = Number(config.intermediate_size);
  const biased = config.model_type === 'qwen2';
  const t: TensorSpec[] = [{ name: 'model.embed_tokens.weight', shape: [Number(config.vocab_size), hidden], kind: 'weight' }];
  for (let l = 0; l < Number(config.num_hidden_layers); l++) {
    const p = `model.layers.${l}.`;
    t.push({ name: `${p}input_layernorm.weight`, shape: [hidden], kind: 'norm' });
    for (const [proj, out] of [['q', heads * dim], ['k', kv * dim], ['v', kv * dim]] as const) {
      t.push({ name: `${p}self_attn.${proj}_proj.weight`, shape: [out, hidden], kind: 'weight' });
      if (biased) t.push({ name: `${p}self_attn.${proj}_proj.bias`, shape: [out], kind: 'bias' });
    }
    t.push({ name: `${p}self_attn.o_proj.weight`, shape: [hidden, heads * dim], kind: 'weight' });
    t.push({ name: `${p}post_attention_layernorm.weight`, shape: [hidden], kind: 'norm' });
    t.push({ name: `${p}mlp.gate_proj.weight`, shape: [inter, hidden], kind: 'weight' });
    t.push({ name: `${p}mlp.up_proj.weight`, shape: [inter, hidden], kind: 'weight' });
    t.push({ name: `${p}mlp.down_proj.weight`, shape: [hidden, inter], kind: 'weight' });
  }
  t.push({ name: 'model.norm.weight', shape: [hidden], kind: 'norm' });
  // A causal LM has a head unless it is tied to the embedding; a bare LlamaModel has none.
  const causal = Array.isArray(config.architectures) && config.architectures.some((a) => a.endsWith('ForCausalLM'));
  if (causal && config.tie_word_embeddings !== true) t.push({ name: 'lm_head.weight', shape: [Number(config.vocab_size), hidden], kind: 'weight' });
  return t;
}

/** Streams a safetensors file of these tensors to disk in 4 MB writes. */
export function writeSyntheticSafetensors(file: string, tensors: TensorSpec[], dtype: SyntheticDtype): number {
  const unit = dtype === 'F32' ? 4 : 2;
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let offset = 0;
  for (const t of tensors) {
    const bytes = t.shape.reduce((a, b) => a * b, 1) * unit;
    header[t.name] = { dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = Buffer.from(JSON.stringify(header));
  json = Buffer.concat([json, Buffer.alloc((8 - (json.length % 8)) % 8, 0x20)]);
  const fd = openSync(file, 'w');
  try {
    const prefix = Buffer.alloc(8);
    prefix.writeBigUInt64LE(BigInt(json.length));
    writeSync(fd, prefix);
    writeSync(fd, json);
    const chunk = new Float32Array(BLOCK);
    const bits = new Uint32Array(chunk.buffer);
    const half = new Uint16Array(BLOCK);
    for (const t of tensors) {
      const count = t.shape.reduce((a, b) => a * b, 1);
      // ±1/√fan_in keeps activations of order one through any depth; norms are ones, biases small.
      const scale = t.kind === 'weight' ? 1 / Math.sqrt(t.shape[t.shape.length - 1]) : 0.02;
      const start = phase(t.name);
      for (let done = 0; done < count; done += BLOCK) {
        const n = Math.min(BLOCK, count - done);
        for (let i = 0; i < n; i++) chunk[i] = t.kind === 'norm' ? 1 : block[start + ((done + i) % BLOCK)] * scale;
        if (dtype === 'F32') {
          writeSync(fd, new Uint8Array(chunk.buffer, 0, n * 4));
        } else {
          for (let i = 0; i < n; i++) half[i] = bits[i] >>> 16;
          writeSync(fd, new Uint8Array(half.buffer, 0, n * 2));
        }
      }
    }
  } finally {
    closeSync(fd);
  }
  return 8 + json.length + offset;
}

/**
 * A model folder with this config, random weights and the tinystories-656k tokenizer (its ids fit
 * any vocabulary of 2048 or more); reused when a previous run left the same one.
 */
export function syntheticLlamaFolder(dir: string, config: SyntheticConfig, dtype: SyntheticDtype, tokenizerFrom: string): string {
  const weights = path.join(dir, 'model.safetensors');
  const stamp = JSON.stringify({ config, dtype, version: 1 });
  const marker = path.join(dir, 'synthetic.json');
  if (existsSync(weights) && existsSync(marker) && readFileSync(marker, 'utf8') === stamp) return dir;
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config, null, 2));
  for (const file of ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json']) {
    if (!existsSync(path.join(tokenizerFrom, file))) continue;
    // Fixtures are read-only; the copies must stay writable so a later run can replace them.
    writeFileSync(path.join(dir, file), readFileSync(path.join(tokenizerFrom, file)));
  }
  writeSyntheticSafetensors(weights, llamaTensors(config), dtype);
  writeFileSync(marker, stamp);
  return dir;
}

/** Bytes of a folder's model.safetensors. */
export function weightBytes(dir: string): number {
  return statSync(path.join(dir, 'model.safetensors')).size;
}
