import { unsupportedFeature } from '../checkpoint/failures';

/** The `rope_scaling` block of config.json (older configs say `type`, newer `rope_type`). */
export interface RopeScaling {
  type?: string;
  rope_type?: string;
  factor?: number;
  low_freq_factor?: number;
  high_freq_factor?: number;
  original_max_position_embeddings?: number;
}

/** Rotary inverse frequencies θ^(−2i/d), i < d/2, with the position-independent scalings HF applies to them. */
export function inverseFrequencies(modelType: string, headDim: number, theta: number, scaling?: RopeScaling | null): Float32Array {
  const base = Array.from({ length: headDim / 2 }, (_, i) => 1 / theta ** ((2 * i) / headDim));
  const kind = scaling ? (scaling.rope_type ?? scaling.type ?? 'default') : 'default';
  switch (kind) {
    case 'default':
      return Float32Array.from(base);
    case 'linear':
      // Linear scaling divides positions by the factor; scaling the frequencies is the same product.
      return Float32Array.from(base, (f) => f / (scaling?.factor ?? 1));
    case 'llama3':
      return Float32Array.from(base, (f) => llama3Frequency(f, scaling!));
    default:
      // dynamic / yarn / longrope depend on the sequence length or rescale attention: not built.
      throw unsupportedFeature(modelType, `rope_scaling of type "${kind}"`);
  }
}

// Llama 3.1's scaling: long wavelengths are slowed by `factor`, short ones kept, the band between blended.
function llama3Frequency(freq: number, s: RopeScaling): number {
  const factor = s.factor ?? 8;
  const low = s.low_freq_factor ?? 1;
  const high = s.high_freq_factor ?? 4;
  const context = s.original_max_position_embeddings ?? 8192;
  const wavelength = (2 * Math.PI) / freq;
  if (wavelength < context / high) return freq;
  if (wavelength > context / low) return freq / factor;
  const smooth = (context / wavelength - low) / (high - low);
  return (1 - smooth) * (freq / factor) + smooth * freq;
}
