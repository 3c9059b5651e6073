// The view state's rules, shared by the presenter (which owns it) and the panel's page (which shows
// it): defaults, repair of a stored state, strict checks of a reported one, the editor's head choice.
// No `vscode` import and no DOM: pure and testable anywhere.
import { AGGREGATIONS, type Aggregation, type AttentionChoice, type HeadChoice, type ViewState } from './protocol';

/** How big an inspection is, for keeping indices inside it. */
export interface ViewBounds {
  layers: number;
  heads: number;
  tokens: number;
}

/** What a panel shows before the user picks anything: the first layer's first head. */
export const DEFAULT_VIEW_STATE: ViewState = {
  layer: 0,
  head: 0,
  aggregation: 'head',
  received: false,
  hideSpecial: false,
  hiddenHeads: [],
  locked: null,
};

/**
 * A valid view state from anything (a stored object from an older version, the last inspection's
 * state for a smaller model, or garbage): out-of-range layers and heads are clamped, a lock outside
 * the tokens is dropped.
 */
export function sanitizeViewState(input: unknown, bounds?: ViewBounds): ViewState {
  const raw = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
  const index = (value: unknown, fallback: number, count?: number) => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) return fallback;
    return count === undefined ? value : Math.min(value, Math.max(0, count - 1));
  };
  const token = (value: unknown) => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) return null;
    return bounds && value >= bounds.tokens ? null : value;
  };
  const aggregation = AGGREGATIONS.includes(raw.aggregation as Aggregation) ? (raw.aggregation as Aggregation) : DEFAULT_VIEW_STATE.aggregation;
  const hiddenHeads = Array.isArray(raw.hiddenHeads)
    ? [...new Set(raw.hiddenHeads.filter((h): h is number => typeof h === 'number' && Number.isInteger(h) && h >= 0 && (!bounds || h < bounds.heads)))].sort((a, b) => a - b)
    : [];
  return {
    layer: index(raw.layer, 0, bounds?.layers),
    head: index(raw.head, 0, bounds?.heads),
    aggregation,
    received: raw.received === true,
    hideSpecial: raw.hideSpecial === true,
    hiddenHeads,
    locked: token(raw.locked),
  };
}

/**
 * Checks a view state the page reported against the inspection's shape. Undefined for anything out
 * of range rather than clamped: a wrong message should not silently show the editor a different
 * layer than the panel does.
 */
export function checkViewState(value: unknown, bounds: ViewBounds): ViewState | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const within = (x: unknown, count: number) => typeof x === 'number' && Number.isInteger(x) && x >= 0 && x < count;
  if (!within(v.layer, bounds.layers) || !within(v.head, bounds.heads)) return undefined;
  if (!AGGREGATIONS.includes(v.aggregation as Aggregation)) return undefined;
  if (v.locked !== null && v.locked !== undefined && !within(v.locked, bounds.tokens)) return undefined;
  if (v.hiddenHeads !== undefined && !(Array.isArray(v.hiddenHeads) && v.hiddenHeads.every((h) => within(h, bounds.heads)))) return undefined;
  return sanitizeViewState(v, bounds);
}

/** The head the editor paints for a view state: the head, or the aggregate over heads. */
export function headChoice(view: ViewState): HeadChoice {
  return view.aggregation === 'head' ? view.head : view.aggregation;
}

/**
 * What the editor's highlights and hover cards ask the engine for under `view`: the attention a
 * token pays, with special tokens kept (they are zero-width in the editor, but take real weight).
 */
export function editorChoice(view: ViewState): AttentionChoice {
  return { layer: view.layer, aggregation: view.aggregation, head: view.head, hideSpecial: false };
}

/** Whether two view states show the same thing. */
export function sameViewState(a: ViewState, b: ViewState): boolean {
  return a.layer === b.layer && a.head === b.head && a.aggregation === b.aggregation && a.received === b.received
    && a.hideSpecial === b.hideSpecial && a.locked === b.locked
    && a.hiddenHeads.length === b.hiddenHeads.length && a.hiddenHeads.every((h, i) => h === b.hiddenHeads[i]);
}
