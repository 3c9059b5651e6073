// The `attention-lens/v1` report as safetensors, for sizes where JSON is absurd: one tensor per layer,
// `attention.<layer>` of shape [heads, T, T] (F32, or F16 on request), and the rest of the report in
// the header's `__metadata__`, whose values the format requires to be strings: `format` and `text` as
// they are, `model`, `tokens`, `warnings` and `timings` as JSON. The layout is safetensors' own: an
// 8-byte little-endian header length, the header JSON (padded with spaces to a multiple of 8 so the
// tensors are aligned), then each tensor's little-endian bytes, back to back, in layer order.
import { encodeFloat16 } from '../attention/quantize';
import { layered, type LayeredReportInput, type ReportInput } from './report';
import { writePieces } from './reportFile';

export type TensorPrecision = 'float32' | 'float16';
export const TENSOR_PRECISIONS: readonly TensorPrecision[] = ['float32', 'float16'];

const DTYPES: Record<TensorPrecision, { name: 'F32' | 'F16'; bytes: number }> = {
  float32: { name: 'F32', bytes: 4 },
  float16: { name: 'F16', bytes: 2 },
};

interface TensorEntry {
  dtype: 'F32' | 'F16';
  shape: number[];
  data_offsets: [number, number];
}

/** The header of the report's safetensors file, as bytes: length prefix, then padded JSON. */
export function safetensorsHeader(whole: ReportInput | LayeredReportInput, precision: TensorPrecision = 'float32'): Uint8Array {
  const input = layered(whole);
  const T = input.tokens.length;
  const { name, bytes } = DTYPES[precision];
  const header: Record<string, TensorEntry | Record<string, string>> = {
    __metadata__: metadata(input),
  };
  let offset = 0;
  for (let l = 0; l < input.layerCount; l++) {
    const heads = T === 0 ? input.model.heads : input.heads;
    const size = heads * T * T * bytes;
    header[`attention.${l}`] = { dtype: name, shape: [heads, T, T], data_offsets: [offset, offset + size] };
    offset += size;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + padded).fill(0x20, 8 + json.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  return out;
}

/** Writes the report as safetensors to `file`, one layer at a time; returns the bytes written. */
export function writeReportSafetensors(file: string, input: ReportInput | LayeredReportInput, precision: TensorPrecision = 'float32'): Promise<number> {
  return writePieces(file, safetensorsPieces(layered(input), precision));
}

async function* safetensorsPieces(input: LayeredReportInput, precision: TensorPrecision): AsyncGenerator<Uint8Array> {
  yield safetensorsHeader(input, precision);
  for (let l = 0; l < input.layerCount; l++) {
    const layer = await input.layer(l);
    const values = precision === 'float16' ? encodeFloat16(layer) : layer;
    // Typed arrays hold the host's byte order; every platform Node and onnxruntime run on is little-endian.
    yield new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  }
}

function metadata(input: LayeredReportInput): Record<string, string> {
  const out: Record<string, string> = {
    format: 'attention-lens/v1',
    model: JSON.stringify(input.model),
    text: input.text,
    tokens: JSON.stringify(input.tokens),
  };
  if (input.generated !== undefined) out.generated = JSON.stringify(input.generated);
  if (input.warnings !== undefined) out.warnings = JSON.stringify(input.warnings);
  if (input.timings !== undefined) out.timings = JSON.stringify(input.timings);
  return out;
}
