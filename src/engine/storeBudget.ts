// How much memory the attention store may use, and how it keeps an inspection within it. The rule is
// the one the `attentionLens.engine.memoryBudgetMB` setting describes: as float32 when every layer
// fits, as float16 when half of that fits, else no layer at all, recomputing layers exactly when a
// view needs them. Float16 and recompute answer views from decoded float32 layers, as many as the
// rest of the budget holds and at least one: the budget is a target, not a wall.
//
// Beside the layers the store keeps each layer's mean over heads (T² values, 1/heads of the layer),
// from which rollout rows and the mean view are answered without reading the heads again: in float32
// mode as float32, else as float16, and counted with the layers when choosing the mode. In recompute
// mode the means are all that is kept T×T, and they come before extra decoded layers: a decoded layer
// serves views of that one layer, the means make rollout rows interactive through every layer (one
// mean is 2·T² bytes against heads·4·T² for a decoded layer, so all of a 24-layer, 14-head model's
// means take less than one of its layers). They are kept for as many layers as fit beside one decoded
// layer, from the first: rollout through layer l reads the means it has and the heads of the rest.
//
// Float16 and recompute modes also keep each head's pooled model-view thumbnail
// (src/attention/keptThumbnails.ts), a few tens of MB, taken from the budget first; float32 layers
// stay resident and are pooled when the view asks. And decoded layers leave room for the working memory
// of computing a layer: onnxruntime's scores and probabilities and the copy of the probabilities it
// hands to JavaScript, three layers' worth, 2.8 GB at 4096 tokens of a 24-layer, 14-head model. In
// float16 mode that is the run's, beside the layers views decode; in recompute mode the run's and each
// recompute's: there the store keeps, while a layer is computed, only the decoded layers that fit
// beside it (none at 4096 tokens in a 4 GB budget, where keeping three took the engine to 10 GB),
// and one between recomputes, so that a view of the layer last computed needs no other.
import { totalmem } from 'node:os';
import type { MeanPrecision } from '../attention/headMeans';
import type { StoreMode } from '../protocol';

const MB = 2 ** 20;
/** The default budget never exceeds this: past it, a larger store only delays the recompute that long inputs need anyway. */
export const DEFAULT_BUDGET_CAP_MB = 4096;
/** Nor falls below this, on a machine with little memory. */
export const DEFAULT_BUDGET_FLOOR_MB = 256;
/** Layers' worth of memory that computing one layer takes beside what the store keeps: scores, probabilities, their copy out. */
export const WORKING_LAYERS = 3;

/** The budget in bytes for a setting in MB: 0 means a quarter of the machine's memory, between 256 MB and 4 GB. */
export function budgetBytes(settingMB: number | undefined, machineBytes = totalmem()): number {
  if (settingMB !== undefined && Number.isFinite(settingMB) && settingMB > 0) return Math.floor(settingMB * MB);
  const quarterMB = Math.floor(machineBytes / 4 / MB);
  return Math.min(DEFAULT_BUDGET_CAP_MB, Math.max(DEFAULT_BUDGET_FLOOR_MB, quarterMB)) * MB;
}

/** An inspection's size: `layers` × `heads` × T × T probabilities. */
export interface AttentionShape {
  layers: number;
  heads: number;
  T: number;
}

/** How an inspection of `shape` is kept in `available` bytes, and how many decoded float32 layers it may cache. */
export interface StorePlan {
  mode: StoreMode;
  /** Decoded float32 layers kept for views (float16 and recompute); 0 for float32, which needs none. */
  cacheLayers: number;
  /** Of those, how many recompute mode keeps while a layer is computed (the run, or a recompute): 0 or more. */
  computingLayers: number;
  /** Layers, from the first, whose mean over heads is kept, in `meanPrecision`. */
  meanLayers: number;
  meanPrecision: MeanPrecision;
  /**
   * The most this plan holds, with the room for computing one of its layers in float16 and recompute
   * modes: what eviction makes room for, so that other inspections kept do not take that room.
   */
  reserved: number;
  /** Whether each head's pooled model-view thumbnail is kept (float16 and recompute: float32 layers pool as fast). */
  thumbnails: boolean;
}

/**
 * Picks the mode: float32 when all of it (means too) fits, float16 when half of it fits, else
 * recompute; those two in what is left after `thumbnails`, the bytes of the pooled thumbnails they
 * keep. Float32 keeps none: its layers stay resident, and pooling one for the model view costs no
 * more than pooling it as it arrives would have, which would hold up every inspection.
 */
export function planStore(shape: AttentionShape, budget: number, thumbnails = 0): StorePlan {
  const whole = planLayers(shape, budget);
  if (whole.mode === 'float32') return { ...whole, thumbnails: false };
  const plan = planLayers(shape, Math.max(0, budget - thumbnails));
  return { ...plan, reserved: plan.reserved + thumbnails, thumbnails: thumbnails > 0 };
}

function planLayers(shape: AttentionShape, available: number): Omit<StorePlan, 'thumbnails'> {
  const { layers } = shape;
  const layer = layerBytes(shape);
  const full = (layer + meanBytes(shape, 'float32')) * layers;
  if (full <= available) return { mode: 'float32', cacheLayers: 0, computingLayers: 0, meanLayers: layers, meanPrecision: 'float32', reserved: full };
  const mean = meanBytes(shape, 'float16');
  const half = full / 2;
  if (half <= available) {
    const cacheLayers = Math.max(1, fitting(available - half - WORKING_LAYERS * layer, layer, layers));
    const reserved = half + Math.max(cacheLayers * layer, Math.min(available - half, (cacheLayers + WORKING_LAYERS) * layer));
    return { mode: 'float16', cacheLayers, computingLayers: cacheLayers, meanLayers: layers, meanPrecision: 'float16', reserved };
  }
  const meanLayers = mean === 0 ? layers : Math.max(0, Math.min(layers, Math.floor((available - layer) / mean)));
  const computingLayers = fitting(available - meanLayers * mean - WORKING_LAYERS * layer, layer, layers);
  const cacheLayers = Math.max(1, computingLayers);
  const working = Math.max(cacheLayers, computingLayers + WORKING_LAYERS) * layer;
  const reserved = meanLayers * mean + Math.max(cacheLayers * layer, Math.min(available - meanLayers * mean, working));
  return { mode: 'recompute', cacheLayers, computingLayers, meanLayers, meanPrecision: 'float16', reserved };
}

/** Bytes of one layer as float32. */
export function layerBytes(shape: AttentionShape): number {
  return shape.heads * shape.T * shape.T * 4;
}

/** Bytes of one layer's mean over heads kept as `precision`. */
export function meanBytes(shape: AttentionShape, precision: MeanPrecision): number {
  return shape.T * shape.T * (precision === 'float32' ? 4 : 2);
}

// Decoded layers that fit in `room`, at most every layer. Callers keep at least one between views,
// or no view could be answered.
function fitting(room: number, layer: number, layers: number): number {
  return Math.max(0, Math.min(layers, Math.floor(room / layer)));
}
