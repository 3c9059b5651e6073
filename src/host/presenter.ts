// The one owner of what the panel shows: the current inspection as it streams in (tokens, model,
// every layer received), the view state (layer, head, aggregation, lock, …), what is running or
// failed, and the token the editor focuses. The panel's page, whenever it loads (first open, shown
// again after being hidden, window reload), asks what to show and gets all of it, then every change.
// The inspector, the editor lens and the exporter talk to the presenter, never to the page.
import * as vscode from 'vscode';
import { ChannelError, type Handlers, type RequestContext } from '../channel';
import type {
  ExportView, PanelInspection, PanelLayer, PanelPng, PanelSavedState, PanelUpdate, PresenterApi, Timings, ViewState,
} from '../protocol';
import { checkViewState, DEFAULT_VIEW_STATE, sameViewState, sanitizeViewState, type ViewBounds } from '../viewState';
import { log } from './log';
import { AttentionPanel, type PageChannel } from './panel';

/** The inspection the panel shows: its layers as they arrive, and its timings once all have. */
export interface ShownInspection {
  inspection: PanelInspection;
  /** Per layer, Float32 [heads][T][T]; a hole for a layer that has not arrived yet. */
  layers: Float32Array[];
  timings?: Timings;
}

/** What the page keeps for a reload: the text, the model and where the text was. */
export type SavedInspection = NonNullable<PanelSavedState['inspection']>;

type Status = Extract<PanelUpdate, { type: 'busy' | 'failed' | 'restoring' }>;

export class PanelPresenter implements vscode.Disposable {
  private current: ShownInspection | undefined;
  private status: Status | undefined;
  // After a window reload, until the saved inspection has run again: what to keep saving meanwhile.
  private restoring: SavedInspection | undefined;
  private viewState: ViewState = DEFAULT_VIEW_STATE;
  private focus: number | null = null;
  // The page that asked what to show, as a function that sends it one update.
  private page: ((update: PanelUpdate) => void) | undefined;
  private readonly pageWaiters = new Set<() => void>();
  private readonly viewEmitter = new vscode.EventEmitter<ViewState>();
  private readonly revealEmitter = new vscode.EventEmitter<number>();
  private readonly hoverEmitter = new vscode.EventEmitter<number | null>();
  private readonly exportEmitter = new vscode.EventEmitter<ExportView | 'report'>();

  /** The user changed the view state in the panel. */
  readonly onDidChangeView = this.viewEmitter.event;
  /** The user locked token `index` in the panel. */
  readonly onDidRevealToken = this.revealEmitter.event;
  /** The pointer entered a token in the panel, or left them (null). */
  readonly onDidHoverToken = this.hoverEmitter.event;
  /** The user picked an item of the panel's Export menu. */
  readonly onDidAskExport = this.exportEmitter.event;

  /** What the presenter answers for the panel's page. */
  readonly handlers: Handlers<PresenterApi> = {
    show: (_params, context) => this.attach(context),
    viewState: (view) => this.reported(view),
    revealToken: ({ index }) => this.revealEmitter.fire(index),
    hoverToken: ({ index }) => this.hoverEmitter.fire(index),
    export: ({ what }) => this.exportEmitter.fire(what),
  };

  constructor(private readonly extensionUri: vscode.Uri) {}

  /** The view state the panel shows, which the editor's highlights and hover cards follow. */
  get view(): ViewState {
    return this.viewState;
  }

  /** The inspection the panel shows, if any. */
  get shown(): ShownInspection | undefined {
    return this.current;
  }

  /** Reveals the panel, creating it if there is none; its page then asks what to show. */
  reveal(): void {
    AttentionPanel.show(this.extensionUri, this.handlers);
  }

  /**
   * Adopts a panel VS Code restored after a window reload with the state its page saved: the view
   * state is taken back at once; the inspection summary is returned for the caller to run again.
   */
  revive(panel: vscode.WebviewPanel, state: unknown): SavedInspection | undefined {
    AttentionPanel.revive(panel, this.extensionUri, this.handlers);
    const saved = (typeof state === 'object' && state !== null ? state : {}) as PanelSavedState;
    this.viewState = sanitizeViewState(saved.view);
    const inspection = savedInspection(saved);
    if (inspection && !this.current) {
      this.restoring = inspection;
      this.setStatus({ type: 'restoring', modelId: inspection.modelId, provider: inspection.provider });
    }
    return inspection;
  }

  /** Something runs: the panel says so over the last inspection. */
  busy(title: string): void {
    this.setStatus({ type: 'busy', title });
  }

  /** Something failed or was cancelled: the panel says so over the last inspection. */
  failed(message: string): void {
    this.restoring = undefined;
    this.setStatus({ type: 'failed', message });
    this.save();
  }

  /** A new inspection, before any attention: the view state is kept where the new model allows. */
  begin(inspection: PanelInspection): void {
    this.current = { inspection, layers: [] };
    this.status = undefined;
    this.restoring = undefined;
    this.focus = null;
    this.setView(sanitizeViewState(this.viewState, bounds(inspection)));
    this.send({ type: 'inspection', inspection, view: this.viewState });
    this.save();
  }

  /** One layer of inspection `id` arrived. */
  layer(id: number, layer: PanelLayer, data: Float32Array): void {
    if (this.current?.inspection.id !== id) return;
    this.current.layers[layer.layer] = data;
    this.send(layerUpdate(id, layer.layer, data, layer.heads, layer.tokens));
  }

  /** Every layer of inspection `id` has arrived. */
  done(id: number, timings: Timings): void {
    if (this.current?.inspection.id !== id) return;
    this.current.timings = timings;
    this.send({ type: 'done', id, timings });
  }

  /** The editor focused token `index` of the shown inspection (caret or mouse), or none. */
  focusToken(index: number | null): void {
    this.focus = index;
    this.send({ type: 'focusToken', index });
  }

  /**
   * `view` (default: the one the user last used) as the panel draws it now, as PNG. Shows the panel
   * first when it is closed or hidden, and waits up to `timeoutMs` for its page.
   */
  async renderPng(view: ExportView | undefined, timeoutMs: number): Promise<PanelPng> {
    const signal = AbortSignal.timeout(timeoutMs);
    const channel = await this.pageChannel(signal);
    return channel.request('exportView', { view }, { signal });
  }

  dispose(): void {
    AttentionPanel.open?.dispose();
    for (const emitter of [this.viewEmitter, this.revealEmitter, this.hoverEmitter, this.exportEmitter]) emitter.dispose();
  }

  // "What do you show?": everything now, then every change, until the page goes.
  private attach({ emit, signal }: RequestContext<PanelUpdate>): Promise<void> {
    const send = (update: PanelUpdate) => emit(update);
    this.page = send;
    const shown = this.current;
    if (shown) {
      const { inspection, layers, timings } = shown;
      send({ type: 'inspection', inspection, view: this.viewState });
      layers.forEach((data, l) => send(layerUpdate(inspection.id, l, data, inspection.model.heads, inspection.tokens.length)));
      if (timings) send({ type: 'done', id: inspection.id, timings });
    } else {
      send({ type: 'view', view: this.viewState });
    }
    if (this.status) send(this.status);
    if (this.focus !== null) send({ type: 'focusToken', index: this.focus });
    send({ type: 'save', state: this.saved() });
    for (const wake of this.pageWaiters) wake();
    return new Promise((resolve) => signal.addEventListener('abort', () => {
      if (this.page === send) this.page = undefined;
      resolve();
    }, { once: true }));
  }

  private reported(value: ViewState): void {
    const shown = this.current;
    if (!shown) return;
    const view = checkViewState(value, bounds(shown.inspection));
    if (!view) {
      log().warn(`ignored a view state the model does not have: ${JSON.stringify(value)}`);
      return;
    }
    if (this.setView(view)) this.save();
  }

  private setView(view: ViewState): boolean {
    if (sameViewState(view, this.viewState)) return false;
    this.viewState = view;
    this.viewEmitter.fire(view);
    return true;
  }

  private setStatus(status: Status): void {
    this.status = status;
    this.send(status);
  }

  private saved(): PanelSavedState {
    const shown = this.current?.inspection;
    const inspection = shown
      ? { text: shown.text, modelId: shown.model.id, modelSetting: shown.modelSetting, provider: shown.provider, source: shown.source }
      : this.restoring;
    return { view: this.viewState, inspection };
  }

  private save(): void {
    this.send({ type: 'save', state: this.saved() });
  }

  private send(update: PanelUpdate): void {
    this.page?.(update);
  }

  private async pageChannel(signal: AbortSignal): Promise<PageChannel> {
    const ready = () => (this.page ? AttentionPanel.open?.channel : undefined);
    this.reveal();
    let channel = ready();
    while (!channel) {
      await new Promise<void>((resolve, reject) => {
        const wake = () => {
          this.pageWaiters.delete(wake);
          signal.removeEventListener('abort', stop);
          resolve();
        };
        const stop = () => {
          this.pageWaiters.delete(wake);
          reject(new ChannelError('timeout', 'The panel did not load in time.'));
        };
        if (signal.aborted) return stop();
        this.pageWaiters.add(wake);
        signal.addEventListener('abort', stop, { once: true });
      });
      channel = ready();
    }
    return channel;
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

function layerUpdate(id: number, layer: number, data: Float32Array, heads: number, tokens: number): PanelUpdate {
  // The page reads the whole buffer: a view into a larger one is copied out.
  const whole = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
  const buffer = (whole ? data.buffer : data.slice().buffer) as ArrayBuffer;
  return { type: 'layer', id, layer, heads, tokens, data: buffer };
}
