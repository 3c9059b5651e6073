// The one state every attention view reads and writes: which layer and head (or aggregation) is
// shown, and which token is focused or locked. Views never talk to each other; they update this
// store and redraw from it, which is what keeps them linked. The view state itself is the
// presenter's (src/host/presenter.ts): the panel's page reports changes to it and shows what it says.
import type { ViewState } from '../src/protocol';
import { DEFAULT_VIEW_STATE } from '../src/viewState';

export { AGGREGATIONS, type Aggregation } from '../src/protocol';

/** What the views draw from: the view state plus the token under the pointer or keyboard cursor. */
export interface FocusedViewState extends ViewState {
  focus: number | null;
}

/** The token the views follow: the locked one, else the focused one. */
export function activeToken(state: FocusedViewState): number | null {
  return state.locked ?? state.focus;
}

/** Which fields a change touched: lets a view skip work a change cannot affect. */
export type StateChange = ReadonlySet<keyof FocusedViewState>;

/** Holds the view state and tells subscribers what changed. */
export class ViewStateStore {
  private state: FocusedViewState = { ...DEFAULT_VIEW_STATE, focus: null };
  private readonly listeners = new Set<(state: FocusedViewState, changed: StateChange) => void>();

  get(): FocusedViewState {
    return this.state;
  }

  /** The saved part, as a fresh object the caller may keep. */
  saved(): ViewState {
    const { focus: _focus, ...saved } = this.state;
    return { ...saved, hiddenHeads: [...saved.hiddenHeads] };
  }

  /** Applies a partial update; subscribers hear of it only if something actually changed. */
  update(patch: Partial<FocusedViewState>): void {
    const changed = new Set<keyof FocusedViewState>();
    const next = { ...this.state };
    for (const key of Object.keys(patch) as (keyof FocusedViewState)[]) {
      const value = patch[key];
      if (value === undefined || sameValue(next[key], value)) continue;
      (next as Record<keyof FocusedViewState, unknown>)[key] = value;
      changed.add(key);
    }
    if (changed.size === 0) return;
    this.state = next;
    for (const listener of this.listeners) listener(next, changed);
  }

  /** Calls `listener` after every change; returns the unsubscribe. */
  subscribe(listener: (state: FocusedViewState, changed: StateChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

function sameValue(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => x === b[i]);
  return a === b;
}
