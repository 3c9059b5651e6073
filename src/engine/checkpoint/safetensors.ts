import { open, type FileHandle } from 'node:fs/promises';
import * as path from 'node:path';
import { invalidCheckpoint } from './failures';

/** One tensor's entry in a safetensors header. */
export interface TensorEntry {
  dtype: string;
  shape: number[];
  /** Byte offsets [begin, end) relative to the start of the data section. */
  begin: number;
  end: number;
}

// Element sizes of the dtypes the format defines; entries of other dtypes are kept but never read.
const DTYPE_BYTES: Record<string, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U64: 8, U32: 4, U16: 2, U8: 1, BOOL: 1,
  F8_E4M3: 1, F8_E5M2: 1,
};
/** The float dtypes a graph can read straight from a safetensors file (then cast to float32). */
export const ONNX_DTYPES = { F32: 1, F16: 10, BF16: 16, F64: 11 } as const;
export type StoredDtype = keyof typeof ONNX_DTYPES;

/** A tensor's bytes inside its file: absolute byte offset and length. */
export interface StoredBytes {
  dtype: StoredDtype;
  offset: number;
  length: number;
}

// The format's own limit on header size; anything bigger is a corrupt length prefix.
const MAX_HEADER = 100 * 1024 * 1024;

/** An open .safetensors file: the header is parsed up front, tensor data is read on demand. */
export class SafetensorsFile {
  private constructor(
    readonly file: string,
    private readonly handle: FileHandle,
    private readonly dataStart: number,
    readonly entries: ReadonlyMap<string, TensorEntry>,
    readonly metadata: Readonly<Record<string, string>>,
  ) {}

  /** Opens a file and validates its header against the file size. */
  static async open(file: string): Promise<SafetensorsFile> {
    const label = path.basename(file);
    const handle = await open(file, 'r').catch((err: unknown) => {
      throw invalidCheckpoint(label, `cannot open it: ${String(err)}`);
    });
    try {
      const size = (await handle.stat()).size;
      if (size < 8) throw invalidCheckpoint(label, `only ${size} bytes long`);
      const prefix = await readExactly(handle, 8, 0);
      const headerLength = Number(new DataView(prefix.buffer).getBigUint64(0, true));
      if (headerLength < 2 || headerLength > MAX_HEADER || 8 + headerLength > size) {
        throw invalidCheckpoint(label, `header length ${headerLength} does not fit a ${size}-byte file`);
      }
      const headerBytes = await readExactly(handle, headerLength, 8);
      const { entries, metadata } = parseHeader(headerBytes, size - 8 - headerLength, label);
      return new SafetensorsFile(file, handle, 8 + headerLength, entries, metadata);
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  /** Reads a float tensor as float32: F32 lands in the result's own buffer (no extra copy), F16/BF16/F64 are converted. */
  async readFloat32(name: string): Promise<Float32Array> {
    const entry = this.entries.get(name);
    if (!entry) throw new Error(`no tensor ${name} in ${this.file}`);
    const count = entry.shape.reduce((a, b) => a * b, 1);
    const bytes = await readExactly(this.handle, entry.end - entry.begin, this.dataStart + entry.begin);
    switch (entry.dtype) {
      case 'F32': return new Float32Array(bytes.buffer, 0, count);
      case 'BF16': return bf16ToFloat32(new Uint16Array(bytes.buffer, 0, count));
      case 'F16': return f16ToFloat32(new Uint16Array(bytes.buffer, 0, count));
      case 'F64': return Float32Array.from(new Float64Array(bytes.buffer, 0, count));
      default:
        throw invalidCheckpoint(path.basename(this.file),
          `tensor ${name} is ${entry.dtype}; only F32, F16, BF16 and F64 weights can be read`);
    }
  }

  /** Where a tensor's raw little-endian bytes lie in the file, so a graph can point at them instead of copying. */
  locate(name: string): StoredBytes {
    const entry = this.entries.get(name);
    if (!entry) throw new Error(`no tensor ${name} in ${this.file}`);
    if (!(entry.dtype in ONNX_DTYPES)) {
      throw invalidCheckpoint(path.basename(this.file),
        `tensor ${name} is ${entry.dtype}; only F32, F16, BF16 and F64 weights can be read`);
    }
    return { dtype: entry.dtype as StoredDtype, offset: this.dataStart + entry.begin, length: entry.end - entry.begin };
  }

  /** Closes the file. */
  async close(): Promise<void> {
    await this.handle.close();
  }
}

/** Parses and checks a header: every tensor must lie inside the data section with the size its shape implies. */
export function parseHeader(bytes: Uint8Array, dataLength: number, label: string):
  { entries: Map<string, TensorEntry>; metadata: Record<string, string> } {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (err) {
    throw invalidCheckpoint(label, `its header is not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw invalidCheckpoint(label, 'its header is not a JSON object');
  const entries = new Map<string, TensorEntry>();
  let metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (value && typeof value === 'object') metadata = value as Record<string, string>;
      continue;
    }
    entries.set(name, checkEntry(name, value, dataLength, label));
  }
  return { entries, metadata };
}

function checkEntry(name: string, value: unknown, dataLength: number, label: string): TensorEntry {
  const bad = (why: string) => invalidCheckpoint(label, `tensor ${name}: ${why}`);
  const v = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
  if (!v || typeof v !== 'object') throw bad('entry is not an object');
  if (typeof v.dtype !== 'string') throw bad('no dtype');
  const isCount = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;
  if (!Array.isArray(v.shape) || !v.shape.every(isCount)) throw bad('shape is not a list of sizes');
  const offsets = v.data_offsets;
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) throw bad('data_offsets is not [begin, end]');
  const [begin, end] = offsets as [number, number];
  if (end < begin || end > dataLength) throw bad(`bytes [${begin}, ${end}) lie outside the ${dataLength}-byte data section`);
  const unit = DTYPE_BYTES[v.dtype];
  const count = (v.shape as number[]).reduce((a, b) => a * b, 1);
  if (unit !== undefined && count * unit !== end - begin) {
    throw bad(`shape [${(v.shape as number[]).join(', ')}] of ${v.dtype} needs ${count * unit} bytes, not ${end - begin}`);
  }
  return { dtype: v.dtype, shape: v.shape as number[], begin, end };
}

// Reads into a fresh ArrayBuffer so typed views are always aligned, whatever the file offset.
async function readExactly(handle: FileHandle, length: number, position: number): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    // Single reads are capped near 2 GiB by the OS, hence the loop.
    const chunk = Math.min(length - done, 1 << 30);
    const { bytesRead } = await handle.read(out, done, chunk, position + done);
    if (bytesRead === 0) throw new Error(`unexpected end of file at byte ${position + done}`);
    done += bytesRead;
  }
  return out;
}

/** bfloat16 is the top half of a float32, so widening is a shift. */
export function bf16ToFloat32(half: Uint16Array): Float32Array {
  const bits = new Uint32Array(half.length);
  for (let i = 0; i < half.length; i++) bits[i] = half[i] << 16;
  return new Float32Array(bits.buffer);
}

let f16Table: Float32Array | undefined;

/** IEEE half to float32 through a 65,536-entry table (built once), subnormals, infinities and NaN included. */
export function f16ToFloat32(half: Uint16Array): Float32Array {
  const table = (f16Table ??= buildF16Table());
  const out = new Float32Array(half.length);
  for (let i = 0; i < half.length; i++) out[i] = table[half[i]];
  return out;
}

function buildF16Table(): Float32Array {
  const table = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exponent = (h >> 10) & 0x1f;
    const mantissa = h & 0x3ff;
    if (exponent === 0) table[h] = sign * mantissa * 2 ** -24;
    else if (exponent === 31) table[h] = mantissa ? NaN : sign * Infinity;
    else table[h] = sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
  }
  return table;
}
