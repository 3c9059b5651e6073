// Each layer's mean over heads (T×T), kept by whoever holds the layers so that the views asked for
// most at long inputs, rollout rows and the mean over heads, read T² values of a layer instead of
// heads × T². A kept mean is float32, or float16 bits where the layers themselves are kept smaller.
import { checkLayerShape, meanOverHeads } from './aggregate';
import { decodeFloat16, encodeFloat16, float16Table } from './quantize';

/** A layer's mean over heads as kept: float32, or float16 bits. */
export type KeptMean = Float32Array | Uint16Array;

/** How a mean is kept. */
export type MeanPrecision = 'float32' | 'float16';

/** The means that the holder of the layers keeps, which views read instead of averaging heads. */
export interface MeanAccess {
  /** Whether the mean of `layer` is kept once the layer has arrived. */
  keeps(layer: number): boolean;
  /** The mean of `layer`; read only for layers that `keeps` and that have arrived. */
  mean(layer: number): KeptMean;
}

/** A layer's mean over heads as `precision`: meanOverHeads' values, or those rounded to float16. */
export function keepMean(layer: Float32Array | Uint16Array, heads: number, T: number, precision: MeanPrecision): KeptMean {
  const mean = layer instanceof Uint16Array ? meanOverHalfHeads(layer, heads, T) : meanOverHeads(layer, heads, T);
  return precision === 'float32' ? mean : encodeFloat16(mean);
}

/**
 * meanOverHeads of a layer that arrived as float16 bits (onnxruntime rounded it): the mean of the
 * rounded values, so within 2⁻¹¹ relative of the exact mean before the mean's own rounding.
 */
function meanOverHalfHeads(layer: Uint16Array, heads: number, T: number): Float32Array {
  checkLayerShape(layer, heads, T);
  const table = float16Table();
  const size = T * T;
  const out = new Float32Array(size);
  for (let cell = 0; cell < size; cell++) {
    let sum = 0;
    for (let offset = cell; offset < layer.length; offset += size) sum += table[layer[offset]];
    out[cell] = sum / heads;
  }
  return out;
}

/** A kept mean as float32 T×T: the kept array itself, or float16 bits decoded into a new one. */
export function meanValues(mean: KeptMean): Float32Array {
  return mean instanceof Float32Array ? mean : decodeFloat16(mean);
}

/** Row `query` of a kept mean as float32 (a view into a float32 mean). */
export function meanRow(mean: KeptMean, T: number, query: number): Float32Array {
  const from = query * T;
  return mean instanceof Float32Array ? mean.subarray(from, from + T) : decodeFloat16(mean.subarray(from, from + T));
}
