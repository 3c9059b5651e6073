// Which attention the editor paints: the layer and head (or aggregate over heads) the panel shows.
// The host keeps its own copy so hover cards and highlights need no round trip to the webview,
// which may be hidden or closed. No `vscode` import: pure and testable anywhere.

import type { HeadChoice } from '../protocol';

/** A single head by index, or an aggregate over all heads of the layer. */
export type { HeadChoice };

export interface ViewState {
  /** 0-based layer. For 'rollout', the rollout through layers 0..layer. */
  layer: number;
  head: HeadChoice;
}

const AGGREGATES: readonly HeadChoice[] = ['mean', 'max', 'rollout'];

/** What the editor shows until the panel says otherwise: the last layer, mean over heads. */
export function defaultViewState(layers: number): ViewState {
  return { layer: Math.max(0, layers - 1), head: 'mean' };
}

/**
 * Checks a view state that arrived from the webview against the model's shape. Returns undefined
 * for anything out of range rather than clamping: a wrong message should not silently show a
 * different layer than the panel does.
 */
export function checkViewState(value: { layer?: unknown; head?: unknown }, layers: number, heads: number): ViewState | undefined {
  const { layer, head } = value;
  if (typeof layer !== 'number' || !Number.isInteger(layer) || layer < 0 || layer >= layers) return undefined;
  if (typeof head === 'number') {
    return Number.isInteger(head) && head >= 0 && head < heads ? { layer, head } : undefined;
  }
  return AGGREGATES.includes(head as HeadChoice) ? { layer, head: head as HeadChoice } : undefined;
}

export function sameViewState(a: ViewState, b: ViewState): boolean {
  return a.layer === b.layer && a.head === b.head;
}
