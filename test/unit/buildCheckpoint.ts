// Test support for the checkpoint builder: seeded random weights and a safetensors writer.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { buildFeeds } from '../../src/engine/feeds';
import type { ModelConfig } from '../../src/engine/modelFolder';
import { externalDataIn } from '../../src/engine/graphSession';
import { exposeAttention } from '../../src/engine/surgery';

/** A parameter as HF names it, float32 values. */
export interface Param {
  shape: number[];
  data: Float32Array;
}
export type Params = Record<string, Param>;
export type StoredDtype = 'F32' | 'BF16' | 'F16';

/** Deterministic normal samples (mulberry32 + Box–Muller), so every run builds the same model. */
export function normalSampler(seed: number): (std: number) => number {
  let state = seed >>> 0;
  const uniform = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return (std) => std * Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

/** A random parameter: N(mean, std²) per value. */
export function randomParam(sample: (std: number) => number, shape: number[], std: number, mean = 0): Param {
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = mean + sample(std);
  return { shape, data };
}

/** Writes a safetensors file: u64 header length, JSON header padded to 8 bytes, then the data. */
export function writeSafetensors(file: string, params: Params, dtype: StoredDtype = 'F32', metadata?: Record<string, string>): void {
  const header: Record<string, unknown> = metadata ? { __metadata__: metadata } : {};
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, p] of Object.entries(params)) {
    const bytes = encodeValues(p.data, dtype);
    header[name] = { dtype, shape: p.shape, data_offsets: [offset, offset + bytes.length] };
    chunks.push(bytes);
    offset += bytes.length;
  }
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  json = Buffer.concat([json, Buffer.alloc((8 - (json.length % 8)) % 8, 0x20)]);
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(json.length));
  writeFileSync(file, Buffer.concat([prefix, json, ...chunks]));
}

function encodeValues(data: Float32Array, dtype: StoredDtype): Uint8Array {
  if (dtype === 'F32') return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
  const bits = new Uint32Array(Float32Array.from(data).buffer);
  const out = new Uint16Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = dtype === 'BF16' ? toBf16(bits[i], data[i]) : toF16(bits[i], data[i]);
  return new Uint8Array(out.buffer);
}

// The tests store only values each format holds exactly, so a lossy conversion is a test bug.
function toBf16(bits: number, value: number): number {
  if ((bits & 0xffff) !== 0) throw new Error(`${value} is not exactly representable in bfloat16`);
  return bits >>> 16;
}

function toF16(bits: number, value: number): number {
  const sign = (bits >>> 16) & 0x8000;
  if (value === 0) return sign;
  const exponent = ((bits >>> 23) & 0xff) - 127 + 15;
  const mantissa = bits & 0x7fffff;
  if (exponent <= 0 || exponent >= 31 || (mantissa & 0x1fff) !== 0) throw new Error(`${value} is not a normal float16`);
  return sign | (exponent << 10) | (mantissa >>> 13);
}

const folders: string[] = [];

/** A fresh temporary folder, removed by removeTempFolders(). */
export function tempFolder(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'attention-lens-build-'));
  folders.push(dir);
  return dir;
}

/** Removes every folder tempFolder() made. */
export function removeTempFolders(): void {
  for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** A fresh temporary folder holding config.json and the given weights. */
export function checkpointFolder(config: object, params: Params, dtype: StoredDtype = 'F32'): string {
  const dir = tempFolder();
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
  writeSafetensors(path.join(dir, 'model.safetensors'), params, dtype);
  return dir;
}

/** One row of a batch: token ids, mask (1 = token), and positions when the model takes them. */
export interface Row {
  ids: number[];
  mask: number[];
  positions?: number[];
  typeIds?: number[];
}

/** Runs a built graph as the engine would (surgery, then Softmax outputs fetched), batched; returns per layer Float32 [B][heads][T][T]. */
export async function runAttention(bytes: Uint8Array, rows: Row[], dataDir?: string): Promise<{ layers: Float32Array[]; dims: readonly number[] }> {
  const exposed = exposeAttention(bytes);
  const session = await ort.InferenceSession.create(exposed.bytes, { graphOptimizationLevel: 'all', ...externalDataIn(dataDir) });
  try {
    const T = rows[0].ids.length;
    const int64 = (pick: (r: Row, i: number) => number) =>
      new ort.Tensor('int64', BigInt64Array.from(rows.flatMap((r) => r.ids.map((_, i) => BigInt(pick(r, i))))), [rows.length, T]);
    const feeds: Record<string, ort.Tensor> = {};
    for (const input of exposed.inputs) {
      if (input.name === 'input_ids') feeds[input.name] = int64((r, i) => r.ids[i]);
      else if (input.name === 'attention_mask') feeds[input.name] = int64((r, i) => r.mask[i]);
      else if (input.name === 'position_ids') feeds[input.name] = int64((r, i) => r.positions?.[i] ?? i);
      else if (input.name === 'token_type_ids') feeds[input.name] = int64((r, i) => r.typeIds?.[i] ?? 0);
      // Built decoders take a KV cache: [batch, kv heads, past, head dim], empty for a full pass.
      else if (input.name.startsWith('past_key_values.')) {
        feeds[input.name] = new ort.Tensor('float32', new Float32Array(0), [rows.length, Number(input.dims[1]), 0, Number(input.dims[3])]);
      } else throw new Error(`unexpected input ${input.name}`);
    }
    const out = await session.run(feeds, exposed.attentionOutputs);
    return { layers: exposed.attentionOutputs.map((n) => out[n].data as Float32Array), dims: out[exposed.attentionOutputs[0]].dims };
  } finally {
    await session.release();
  }
}

/** Runs one sequence through the engine's own feed builder, as AttentionModel.run does. */
export async function runLikeEngine(bytes: Uint8Array, ids: number[], config: ModelConfig, dataDir?: string): Promise<Float32Array[]> {
  const exposed = exposeAttention(bytes);
  const session = await ort.InferenceSession.create(exposed.bytes, { graphOptimizationLevel: 'all', ...externalDataIn(dataDir) });
  try {
    const out = await session.run(buildFeeds(exposed.inputs, ids, [], config), exposed.attentionOutputs);
    return exposed.attentionOutputs.map((n) => out[n].data as Float32Array);
  } finally {
    await session.release();
  }
}
