// Compact encodings for shipping attention to the webview and into reports. A 12-layer, 12-head
// model at 512 tokens holds 37.7 M probabilities: 151 MB as float32, 75 MB as float16, 38 MB as
// uint8. Probabilities live in [0, 1], so uint8 steps of 1/255 lose at most half a step; float16
// keeps relative precision where tiny weights matter (rollout, log-scale colour maps).

/** Largest |dequantized − p| for p in [0, 1] in exact arithmetic: half of one 1/255 step. */
export const UINT8_MAX_ERROR = 1 / 510;

/** Largest relative error of a float16 round trip for |x| in [2^-14, 65504] (normal halves). */
export const FLOAT16_MAX_RELATIVE_ERROR = 2 ** -11;

/** Largest absolute error of a float16 round trip for |x| below 2^-14 (subnormal halves). */
export const FLOAT16_MAX_SUBNORMAL_ERROR = 2 ** -25;

/** The largest finite float16, 65504. */
export const FLOAT16_MAX = 65504;

/** A probability as a byte: round(p·255), clamping to [0, 1] first; NaN becomes 0. */
export function quantizeUint8(p: number): number {
  const scaled = p * 255;
  if (scaled >= 255) return 255;
  // Comparisons with NaN are false, so NaN lands on 0 with the negatives.
  if (!(scaled > 0)) return 0;
  // floor(x + 0.5) is round-half-up for positive x; x + 0.5 is exact for float32 inputs.
  return Math.floor(scaled + 0.5);
}

/** The probability a byte from `quantizeUint8` stands for: q/255. */
export function dequantizeUint8(q: number): number {
  return q / 255;
}

/** Every value of an array as a byte, as `quantizeUint8` does one; writes into `out` when given. */
export function quantizeProbabilities(values: Float32Array, out = new Uint8Array(values.length)): Uint8Array {
  checkSameLength(values.length, out.length);
  for (let i = 0; i < values.length; i++) {
    const scaled = values[i] * 255;
    // `| 0` truncates, which equals floor here because scaled + 0.5 is positive.
    out[i] = scaled >= 255 ? 255 : scaled > 0 ? (scaled + 0.5) | 0 : 0;
  }
  return out;
}

/** Bytes from `quantizeProbabilities` back to probabilities; writes into `out` when given. */
export function dequantizeProbabilities(bytes: Uint8Array, out = new Float32Array(bytes.length)): Float32Array {
  checkSameLength(bytes.length, out.length);
  for (let i = 0; i < bytes.length; i++) out[i] = bytes[i] / 255;
  return out;
}

/** The IEEE 754 half-precision bit pattern nearest to x (ties to even); overflow gives ±Infinity. */
export function toFloat16(x: number): number {
  if (Number.isNaN(x)) return 0x7e00;
  // Object.is catches -0, whose sign survives in the top bit like any other negative.
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a >= 65536) return sign | 0x7c00;
  if (a < 2 ** -14) return sign | roundHalfToEven(a * 2 ** 24);
  let exponent = Math.floor(Math.log2(a));
  // log2 may be off by one right next to a power of two; powers of two are exact, so check.
  if (2 ** exponent > a) exponent--;
  else if (2 ** (exponent + 1) <= a) exponent++;
  const significand = roundHalfToEven(a * 2 ** (10 - exponent));
  // A significand that rounds up to 2048 carries into the exponent, and 65520 and above carry
  // into exponent 31, which is exactly the Infinity pattern: the addition handles both.
  return sign | (((exponent + 15) << 10) + significand - 1024);
}

/** The number a float16 bit pattern stands for, subnormals, infinities and NaN included. */
export function fromFloat16(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 31) return fraction === 0 ? sign * Infinity : NaN;
  return sign * (1024 + fraction) * 2 ** (exponent - 25);
}

/** Every value of an array as float16 bits, as `toFloat16` does one; writes into `out` when given. */
export function encodeFloat16(values: Float32Array, out = new Uint16Array(values.length)): Uint16Array {
  checkSameLength(values.length, out.length);
  // Reading the float32 bits directly turns the exponent rebias and rounding into integer ops.
  const words = new Uint32Array(values.buffer, values.byteOffset, values.length);
  for (let i = 0; i < words.length; i++) {
    const word = words[i];
    const sign = (word >>> 16) & 0x8000;
    let magnitude = word & 0x7fffffff;
    if (magnitude >= 0x7f800000) {
      out[i] = sign | (magnitude > 0x7f800000 ? 0x7e00 : 0x7c00);
    } else if (magnitude >= 0x477ff000) {
      // 65520 and above round to Infinity.
      out[i] = sign | 0x7c00;
    } else if (magnitude >= 0x38800000) {
      // Normal half: drop 13 fraction bits, rounding half to even by adding just under half a
      // step plus the bit that is kept; a carry into the exponent is the correct result.
      magnitude += 0x0fff + ((magnitude >>> 13) & 1);
      out[i] = sign | ((magnitude - 0x38000000) >>> 13);
    } else {
      out[i] = sign | roundHalfToEven(Math.abs(values[i]) * 2 ** 24);
    }
  }
  return out;
}

/** Float16 bits back to numbers, exactly (every half is a float32); writes into `out` when given. */
export function decodeFloat16(bits: Uint16Array, out = new Float32Array(bits.length)): Float32Array {
  checkSameLength(bits.length, out.length);
  const table = float16Table();
  for (let i = 0; i < bits.length; i++) out[i] = table[bits[i]];
  return out;
}

let decodeTable: Float32Array | undefined;

/** Every float16 bit pattern's value, indexed by the bits (256 KB, built once): a lookup beats re-deriving each value. */
export function float16Table(): Float32Array {
  if (decodeTable === undefined) {
    decodeTable = new Float32Array(65536);
    for (let bits = 0; bits < 65536; bits++) decodeTable[bits] = fromFloat16(bits);
  }
  return decodeTable;
}

function roundHalfToEven(x: number): number {
  const floor = Math.floor(x);
  const rest = x - floor;
  return rest > 0.5 || (rest === 0.5 && (floor & 1) === 1) ? floor + 1 : floor;
}

function checkSameLength(input: number, output: number): void {
  if (input !== output) throw new RangeError(`output holds ${output} values, input has ${input}`);
}
