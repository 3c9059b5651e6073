// The attention views as one browser component, independent of VS Code: the page that mounts it
// gives it an inspection's tokens and where to ask for its attention (AttentionData), tells it as each
// layer is computed, and hears its state changes. Each view asks for only what it draws and redraws
// when the reply comes. Drawing happens at most once per animation frame, so a burst of layers,
// replies or state changes costs one redraw; the token strip updates at once, because it is what the
// pointer is on.
import '@vscode-elements/elements/dist/vscode-progress-bar/index.js';
import type { AttentionData } from '../src/attention/localAttention';
import type { ExportView, GeneratedRun, ModelInfo, PanelPng, TextWindow, Token, ViewState } from '../src/protocol';
import { sanitizeViewState, type ViewBounds } from '../src/viewState';
import { ViewStateStore, type FocusedViewState } from './state';
import { readTheme, watchTheme, type Theme } from './theme';
import { Controls } from './views/controls';
import { ExportMenu } from './views/exportMenu';
import { HeadView } from './views/headView';
import { MatrixView } from './views/matrixView';
import { ModelView } from './views/modelView';
import { translator, type Strings } from './views/strings';
import { cssColor } from './views/color';
import { adoptStyles } from './views/styles';
import { TokenStrip } from './views/tokenStrip';
import { ViewedInspection } from './views/viewedInspection';
import { WindowStepper } from './views/windowStepper';

/** Messages the views send to whoever mounted them. */
export type AttentionAppMessage =
  | { type: 'revealToken'; index: number }
  /** The pointer or keyboard moved onto a token in the views (null: off them); not sent for highlightToken. */
  | { type: 'hoverToken'; index: number | null }
  /** The user picked an Export menu item: the report as JSON, or a view as PNG (see renderPng). */
  | { type: 'export'; what: ExportView | 'report' }
  /** The user stepped to window `index` of a text inspected in windows. */
  | { type: 'showWindow'; index: number };

export interface AttentionAppOptions {
  /** Receives messages for the host, e.g. which token to reveal in the editor when one is locked. */
  post?: (message: AttentionAppMessage) => void;
  /** The language of the text, e.g. 'es', for the views' lang attribute. */
  locale?: string;
  /** The text table filled for that language (see views/strings.ts); English for what it lacks. */
  strings?: Strings;
}

/** What the panel knows before any attention arrives; `text` lets the strip show the original spacing. */
export interface InspectionMeta {
  model: ModelInfo;
  tokens: Token[];
  text?: string;
  /** Which window of a long text this is; the panel then offers the others. */
  window?: TextWindow;
  /** Set for a continuation: which tokens the model wrote, and what each was chosen among. */
  generated?: GeneratedRun;
  /** The host's id of the inspection: a continuation shown again as it grows keeps it. */
  id?: number;
}

export interface AttentionApp {
  /**
   * Starts a new inspection: tokens and model shape, before any layer, with `data` to ask for its
   * attention; shown in `state` when given.
   */
  setInspection(meta: InspectionMeta, data: AttentionData, state?: ViewState): void;
  /** Layer `layer` has been computed: the views ask for it and draw it. */
  layerArrived(layer: number): void;
  /** Every layer has arrived: removes the progress indicator. */
  done(): void;
  /** The view state: what to persist and restore after a reload. */
  getState(): ViewState;
  /** Restores a persisted state; anything invalid is replaced by defaults or clamped. */
  setState(state: unknown): void;
  /** Calls `cb` whenever the persistent part of the state changes; returns the unsubscribe. */
  onStateChange(cb: (state: ViewState) => void): () => void;
  /** Focuses a token from outside (the editor's cursor); null clears the focus. */
  highlightToken(index: number | null): void;
  /** The view the user last pointed at or focused (the matrix until then). */
  readonly currentView: ExportView;
  /** Draws `view` (default: the current view) as it is shown now, as PNG bytes; rejects when it cannot. */
  renderPng(view?: ExportView): Promise<PanelPng>;
  /** Stops watching the theme and removes the views. */
  dispose(): void;
}

type Redraw = 'matrix' | 'heads' | 'model';

/** Builds the attention views inside `root`. */
export function mountAttentionApp(root: HTMLElement, opts: AttentionAppOptions = {}): AttentionApp {
  const doc = root.ownerDocument;
  adoptStyles(doc);
  const locale = opts.locale || doc.documentElement.lang || 'en';
  const t = translator(opts.strings);
  const store = new ViewStateStore();
  const post = opts.post ?? (() => undefined);
  const reveal = (index: number) => post({ type: 'revealToken', index });
  // True while the focus is set from outside (highlightToken, a new inspection): not echoed as a hover.
  let focusFromOutside = false;
  const updateFromOutside = (patch: Partial<FocusedViewState>) => {
    focusFromOutside = true;
    try {
      store.update(patch);
    } finally {
      focusFromOutside = false;
    }
  };

  const app = doc.createElement('div');
  app.className = 'al-app';
  app.lang = locale;
  root.append(app);

  const dirty = new Set<Redraw>();
  let frame = 0;
  const invalidate = (...views: Redraw[]) => {
    for (const view of views) dirty.add(view);
    if (frame === 0) frame = requestAnimationFrame(flush);
  };
  const controls = new Controls(store, t);
  const windowStepper = new WindowStepper(t, (index) => post({ type: 'showWindow', index }));
  const waiting = Object.assign(doc.createElement('p'), { className: 'al-waiting', textContent: t('app.waiting') });
  const progress = doc.createElement('div');
  progress.className = 'al-progress';
  progress.setAttribute('role', 'status');
  const progressBar = doc.createElement('vscode-progress-bar');
  progressBar.ariaLabel = t('progress.label');
  const progressText = Object.assign(doc.createElement('span'), { className: 'al-note' });
  progress.append(progressBar, progressText);
  progress.hidden = true;
  const strip = new TokenStrip(store, t, reveal);
  const matrix = new MatrixView(store, t, () => invalidate('matrix'), reveal);
  const heads = new HeadView(store, t, () => invalidate('heads'), reveal);
  const model = new ModelView(store, t, () => invalidate('model'));
  let currentView: ExportView = 'matrix';
  for (const [view, element] of [['matrix', matrix.element], ['heads', heads.element], ['model', model.element]] as const) {
    element.addEventListener('pointerdown', () => (currentView = view));
    element.addEventListener('focusin', () => (currentView = view));
  }
  const exportMenu = new ExportMenu(t, (choice) => post({ type: 'export', what: choice }));
  controls.element.append(exportMenu.element);
  const views = doc.createElement('div');
  views.className = 'al-views';
  views.append(matrix.element, heads.element);
  const body = doc.createElement('div');
  body.className = 'al-body';
  body.hidden = true;
  body.append(controls.element, windowStepper.element, progress, strip.element, views, model.element);
  app.append(waiting, body);

  let shown: ViewedInspection | undefined;
  let shownId: number | undefined;
  let theme: Theme = readTheme(app);
  const applyTheme = (next: Theme) => {
    theme = next;
    strip.setTheme(theme);
    matrix.setTheme(theme);
    heads.setTheme(theme);
    model.setTheme(theme);
    strip.update(store.get());
    invalidate('matrix', 'heads', 'model');
  };
  applyTheme(theme);
  const unwatchTheme = watchTheme(app, applyTheme);

  function flush(): void {
    frame = 0;
    const state = store.get();
    if (!shown) return dirty.clear();
    // Each view draws in its own try: one view's failure must not blank the others.
    const run = (view: Redraw, draw: (s: FocusedViewState) => void) => {
      if (!dirty.delete(view)) return;
      try {
        draw(state);
      } catch (error) {
        console.error(`attention view ${view} failed to draw`, error);
      }
    };
    run('matrix', (s) => matrix.render(s));
    run('heads', (s) => heads.render(s));
    run('model', (s) => model.render(s));
  }

  const canvases: Record<ExportView, HTMLElement> = { matrix: matrix.element, heads: heads.element, model: model.element };
  async function renderPng(view: ExportView = currentView): Promise<PanelPng> {
    // Draw what is pending first, so the image shows the state the controls show.
    if (frame !== 0) {
      cancelAnimationFrame(frame);
      flush();
    }
    // The head view shows the rows in view on a canvas the size of its box: its export is every row.
    const canvas = (view === 'heads' ? heads.exportCanvas() : undefined) ?? canvases[view].querySelector('canvas');
    if (!canvas || canvas.width === 0 || canvas.height === 0) throw new Error(`the ${view} view has nothing drawn`);
    return { view, ...(await canvasPng(canvas, cssColor(theme.background, 1))) };
  }

  const listeners = new Set<(state: ViewState) => void>();
  const SAVED: (keyof ViewState)[] = ['layer', 'head', 'aggregation', 'received', 'hideSpecial', 'hiddenHeads', 'locked'];
  // Which state fields each canvas depends on: a head switch must not redraw the head view, whose
  // lines for 512 tokens cost several frames, nor a hover the model view.
  const DEPENDS: Record<Redraw, (keyof FocusedViewState)[]> = {
    matrix: ['layer', 'head', 'aggregation', 'hideSpecial', 'focus', 'locked', 'received'],
    heads: ['layer', 'hideSpecial', 'focus', 'locked', 'received', 'hiddenHeads'],
    model: ['layer', 'head', 'aggregation', 'hideSpecial'],
  };
  store.subscribe((state, changed) => {
    controls.sync(state);
    strip.update(state);
    for (const view of Object.keys(DEPENDS) as Redraw[]) if (DEPENDS[view].some((key) => changed.has(key))) invalidate(view);
    if (changed.has('focus') && !focusFromOutside) post({ type: 'hoverToken', index: state.focus });
    if (SAVED.some((key) => changed.has(key))) {
      const saved = store.saved();
      for (const cb of listeners) cb(saved);
    }
  });

  const bounds = (): ViewBounds | undefined =>
    shown && { layers: shown.layerCount, heads: shown.heads, tokens: shown.T };

  const updateProgress = () => {
    if (!shown) return;
    const received = shown.received();
    progressBar.max = shown.layerCount;
    progressBar.value = received;
    progressText.textContent = t('progress.receiving', Math.min(received + 1, shown.layerCount), shown.layerCount);
    app.dataset.layersReceived = String(received);
  };

  return {
    setInspection(meta, data, state) {
      // The same continuation again, a few tokens longer: the model view keeps its thumbnails until
      // the model has written, since they take the engine longer than a token does and a few more
      // rows barely change them (every view is asked again once it has written).
      const growing = meta.generated?.writing === true && meta.id !== undefined && meta.id === shownId;
      shownId = meta.id;
      shown = new ViewedInspection(meta.model, meta.tokens, data);
      updateFromOutside({ ...sanitizeViewState(state ?? store.saved(), bounds()), focus: null });
      controls.setShape(shown.layerCount, shown.heads, (l) => shown!.has(l));
      windowStepper.show(meta.window);
      strip.setInspection(shown, meta.text, meta.generated);
      matrix.setInspection(shown, meta.text);
      heads.setInspection(shown, meta.text);
      model.setInspection(shown, growing);
      waiting.hidden = true;
      body.hidden = false;
      progress.hidden = false;
      app.setAttribute('aria-busy', 'true');
      updateProgress();
      strip.setTheme(theme);
      strip.update(store.get());
      invalidate('matrix', 'heads', 'model');
    },
    layerArrived(layer) {
      if (!shown) throw new Error('layerArrived before setInspection');
      shown.layerArrived(layer);
      controls.layerArrived(layer);
      updateProgress();
      strip.update(store.get());
      invalidate('matrix', 'heads', 'model');
    },
    done() {
      // A restored layer cannot be picked while its option is disabled or not yet indexed by the
      // select (it indexes options after they render): pick it once every layer is there.
      requestAnimationFrame(() => controls.sync(store.get()));
      progress.hidden = true;
      app.removeAttribute('aria-busy');
      app.dataset.done = 'true';
    },
    getState: () => store.saved(),
    setState(state) {
      store.update(sanitizeViewState(state, bounds()));
    },
    onStateChange(cb) {
      listeners.add(cb);
      return () => listeners.delete(cb);
    },
    highlightToken(index) {
      const valid = index !== null && Number.isInteger(index) && index >= 0 && (!shown || index < shown.T);
      updateFromOutside({ focus: valid ? index : null });
    },
    get currentView() {
      return currentView;
    },
    renderPng,
    dispose() {
      unwatchTheme();
      cancelAnimationFrame(frame);
      app.remove();
    },
  };
}

/**
 * A canvas as PNG bytes at its backing size (CSS size × device pixel ratio), on an opaque copy
 * filled with the theme's background, since the views draw on a transparent canvas.
 */
async function canvasPng(canvas: HTMLCanvasElement, background: string): Promise<{ data: ArrayBuffer; width: number; height: number }> {
  const copy = canvas.ownerDocument.createElement('canvas');
  copy.width = canvas.width;
  copy.height = canvas.height;
  const ctx = copy.getContext('2d');
  if (!ctx) throw new Error('no 2D canvas context');
  ctx.fillStyle = background;
  ctx.fillRect(0, 0, copy.width, copy.height);
  ctx.drawImage(canvas, 0, 0);
  const blob = await new Promise<Blob | null>((resolve) => copy.toBlob(resolve, 'image/png'));
  if (!blob) throw new Error('the canvas could not be encoded as PNG');
  return { data: await blob.arrayBuffer(), width: copy.width, height: copy.height };
}
