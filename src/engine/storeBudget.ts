// How much memory the attention store may use, and how it keeps an inspection within it. The rule is
// the one the `attentionLens.engine.memoryBudgetMB` setting describes: as float32 when every layer
// fits, as float16 when half of that fits, else nothing T×T at all, recomputing layers exactly when a
// view needs them. Float16 and recompute answer views from decoded float32 layers, as many as the
// rest of the budget holds and at least one: the budget is a target, not a wall.
import { totalmem } from 'node:os';
import type { StoreMode } from '../protocol';

const MB = 2 ** 20;
/** The default budget never exceeds this: past it, a larger store only delays the recompute that long inputs need anyway. */
export const DEFAULT_BUDGET_CAP_MB = 4096;
/** Nor falls below this, on a machine with little memory. */
export const DEFAULT_BUDGET_FLOOR_MB = 256;

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
  /** The most this plan holds: what eviction makes room for. */
  reserved: number;
}

/** Picks the mode: float32 when all of it fits, float16 when half of it fits, else recompute. */
export function planStore(shape: AttentionShape, available: number): StorePlan {
  const layer = layerBytes(shape);
  const full = layer * shape.layers;
  if (full <= available) return { mode: 'float32', cacheLayers: 0, reserved: full };
  const half = full / 2;
  if (half <= available) {
    const cacheLayers = cacheFor(available - half, layer, shape.layers);
    return { mode: 'float16', cacheLayers, reserved: half + cacheLayers * layer };
  }
  const cacheLayers = cacheFor(available, layer, shape.layers);
  return { mode: 'recompute', cacheLayers, reserved: cacheLayers * layer };
}

/** Bytes of one layer as float32. */
export function layerBytes(shape: AttentionShape): number {
  return shape.heads * shape.T * shape.T * 4;
}

// At least one decoded layer, or no view could be answered.
function cacheFor(room: number, layer: number, layers: number): number {
  return Math.max(1, Math.min(layers, Math.floor(room / layer)));
}
