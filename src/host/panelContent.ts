// What the panel shows, as plain data: the current inspection as it streams in (tokens, model, which
// layers the engine's store holds; the page asks the engine for their views), the view state, what is running or failed, and the token the editor focuses.
// Every change returns the updates a page showing it needs; `snapshot` is all of it, for a page that
// has just loaded. The presenter (src/host/presenter.ts) owns one and sends these to the page. No
// `vscode` import: pure and testable anywhere.
import type { PanelInspection, PanelSavedState, PanelUpdate, Timings, ViewState } from '../protocol';
import { checkViewState, DEFAULT_VIEW_STATE, sameViewState, sanitizeViewState, type ViewBounds } from '../viewState';

/** The inspection the panel shows: which of its layers are ready, and its timings once all are. */
export interface ShownInspection {
  inspection: PanelInspection;
  /** The layers the engine's store holds, in the order they arrived. */
  layers: number[];
  timings?: Timings;
}

/** What the page keeps for a reload: the text, the model and where the text was. */
export type SavedInspection = NonNullable<PanelSavedState['inspection']>;

/** What the panel says over its views: something runs, is restored, or failed. */
export type PanelStatus = Extract<PanelUpdate, { type: 'busy' | 'failed' | 'restoring' }>;

export class PanelContent {
  private current: ShownInspection | undefined;
  private status: PanelStatus | undefined;
  // After a window reload, until the saved inspection has run again: what to keep saving meanwhile.
  private restoring: SavedInspection | undefined;
  private viewState: ViewState = DEFAULT_VIEW_STATE;
  private focus: number | null = null;

  get view(): ViewState {
    return this.viewState;
  }

  get shown(): ShownInspection | undefined {
    return this.current;
  }

  /**
   * Takes back what a page saved before a window reload: the view state at once, and the inspection
   * summary, which is returned for the caller to run again; until then the panel says it is restoring.
   */
  restore(state: unknown): SavedInspection | undefined {
    const saved = (typeof state === 'object' && state !== null ? state : {}) as PanelSavedState;
    this.viewState = sanitizeViewState(saved.view);
    const inspection = savedInspection(saved);
    if (inspection && !this.current) {
      this.restoring = inspection;
      this.status = { type: 'restoring', modelId: inspection.modelId, provider: inspection.provider };
    }
    return inspection;
  }

  /** Something runs: said over the last inspection. */
  busy(title: string): PanelUpdate[] {
    this.status = { type: 'busy', title };
    return [this.status];
  }

  /** Something failed or was cancelled: said over the last inspection; a restore is given up. */
  failed(message: string): PanelUpdate[] {
    this.restoring = undefined;
    this.status = { type: 'failed', message };
    return [this.status, this.save()];
  }

  /** A new inspection, before any attention: the view state is kept where the new model allows. */
  begin(inspection: PanelInspection): PanelUpdate[] {
    this.current = { inspection, layers: [] };
    this.status = undefined;
    this.restoring = undefined;
    this.focus = null;
    this.viewState = keep(this.viewState, sanitizeViewState(this.viewState, bounds(inspection)));
    return [{ type: 'inspection', inspection, view: this.viewState }, this.save()];
  }

  /** Layer `layer` of inspection `id` is ready in the engine; nothing for a layer of another. */
  layer(id: number, layer: number): PanelUpdate[] {
    if (this.current?.inspection.id !== id) return [];
    this.current.layers.push(layer);
    return [{ type: 'layer', id, layer }];
  }

  /** Every layer of inspection `id` has arrived. */
  done(id: number, timings: Timings): PanelUpdate[] {
    if (this.current?.inspection.id !== id) return [];
    this.current.timings = timings;
    return [{ type: 'done', id, timings }];
  }

  /** The editor focused token `index` (caret or mouse), or none. */
  focusToken(index: number | null): PanelUpdate[] {
    this.focus = index;
    return [{ type: 'focusToken', index }];
  }

  /**
   * The page reports the view state the user chose. Undefined when the shown inspection has no such
   * layer, head or token (or nothing is shown); else what the page must save (nothing if unchanged).
   */
  report(value: unknown): PanelUpdate[] | undefined {
    const shown = this.current;
    const view = shown && checkViewState(value, bounds(shown.inspection));
    if (!view) return undefined;
    if (sameViewState(view, this.viewState)) return [];
    this.viewState = view;
    return [this.save()];
  }

  /** Everything a page that has just loaded needs, in the order that rebuilds it. */
  snapshot(): PanelUpdate[] {
    const updates: PanelUpdate[] = [];
    const shown = this.current;
    if (shown) {
      const { inspection, layers, timings } = shown;
      updates.push({ type: 'inspection', inspection, view: this.viewState });
      for (const layer of layers) updates.push({ type: 'layer', id: inspection.id, layer });
      if (timings) updates.push({ type: 'done', id: inspection.id, timings });
    } else {
      updates.push({ type: 'view', view: this.viewState });
    }
    if (this.status) updates.push(this.status);
    if (this.focus !== null) updates.push({ type: 'focusToken', index: this.focus });
    updates.push(this.save());
    return updates;
  }

  private save(): PanelUpdate {
    const shown = this.current?.inspection;
    const inspection = shown
      ? { text: shown.text, modelId: shown.model.id, modelSetting: shown.modelSetting, provider: shown.provider, source: shown.source, ...(shown.window && { window: shown.window.index }) }
      : this.restoring;
    return { type: 'save', state: { view: this.viewState, inspection } };
  }
}

/** The inspection summary in a state the page saved, if it holds one (anything else is ignored). */
export function savedInspection(state: PanelSavedState | undefined): SavedInspection | undefined {
  const inspection = state?.inspection;
  if (typeof inspection !== 'object' || inspection === null || typeof inspection.text !== 'string' || inspection.text === '') return undefined;
  return inspection;
}

function bounds(inspection: PanelInspection): ViewBounds {
  return { layers: inspection.model.layers, heads: inspection.model.heads, tokens: inspection.tokens.length };
}

// The same object when nothing changed, so a caller can tell a change by identity.
function keep(before: ViewState, after: ViewState): ViewState {
  return sameViewState(before, after) ? before : after;
}
