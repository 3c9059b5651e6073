// The one state every attention view reads and writes: which layer and head (or aggregation) is
// shown, and which token is focused or locked. Views never talk to each other; they update this
// store and redraw from it, which is what keeps them linked.

export const AGGREGATIONS = ['head', 'mean', 'max', 'rollout'] as const;
/** What the matrix and token strip show: one head, a reduction over heads, or rollout to the layer. */
export type Aggregation = (typeof AGGREGATIONS)[number];

/** What survives a reload of the webview (through `vscode.setState`). */
export interface SavedViewState {
  layer: number;
  head: number;
  aggregation: Aggregation;
  /** Tint by the attention a token receives rather than the attention it pays. */
  received: boolean;
  hideSpecial: boolean;
  /** Heads turned off in the head view. */
  hiddenHeads: number[];
  /** The token clicked or chosen with Enter: stays active until unlocked. */
  locked: number | null;
}

/** The full state: the saved part plus the token under the pointer or keyboard cursor. */
export interface ViewState extends SavedViewState {
  focus: number | null;
}

/** How big the inspection is, for clamping indices that came from an older inspection. */
export interface StateBounds {
  layers: number;
  heads: number;
  tokens: number;
}

export const DEFAULT_STATE: ViewState = {
  layer: 0,
  head: 0,
  aggregation: 'head',
  received: false,
  hideSpecial: false,
  hiddenHeads: [],
  locked: null,
  focus: null,
};

/** The token the views follow: the locked one, else the focused one. */
export function activeToken(state: ViewState): number | null {
  return state.locked ?? state.focus;
}

/** A valid saved state from anything (a stored object from an older version, or garbage). */
export function sanitizeState(input: unknown, bounds?: StateBounds): SavedViewState {
  const raw = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
  const index = (value: unknown, fallback: number, count?: number) => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) return fallback;
    return count === undefined ? value : Math.min(value, Math.max(0, count - 1));
  };
  const token = (value: unknown) => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) return null;
    return bounds && value >= bounds.tokens ? null : value;
  };
  const aggregation = AGGREGATIONS.includes(raw.aggregation as Aggregation) ? (raw.aggregation as Aggregation) : DEFAULT_STATE.aggregation;
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

/** Which fields a change touched: lets a view skip work a change cannot affect. */
export type StateChange = ReadonlySet<keyof ViewState>;

/** Holds the view state and tells subscribers what changed. */
export class ViewStateStore {
  private state: ViewState = { ...DEFAULT_STATE };
  private readonly listeners = new Set<(state: ViewState, changed: StateChange) => void>();

  get(): ViewState {
    return this.state;
  }

  /** The saved part, as a fresh object the caller may keep. */
  saved(): SavedViewState {
    const { focus: _focus, ...saved } = this.state;
    return { ...saved, hiddenHeads: [...saved.hiddenHeads] };
  }

  /** Applies a partial update; subscribers hear of it only if something actually changed. */
  update(patch: Partial<ViewState>): void {
    const changed = new Set<keyof ViewState>();
    const next = { ...this.state };
    for (const key of Object.keys(patch) as (keyof ViewState)[]) {
      const value = patch[key];
      if (value === undefined || sameValue(next[key], value)) continue;
      (next as Record<keyof ViewState, unknown>)[key] = value;
      changed.add(key);
    }
    if (changed.size === 0) return;
    this.state = next;
    for (const listener of this.listeners) listener(next, changed);
  }

  /** Calls `listener` after every change; returns the unsubscribe. */
  subscribe(listener: (state: ViewState, changed: StateChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

function sameValue(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => x === b[i]);
  return a === b;
}
