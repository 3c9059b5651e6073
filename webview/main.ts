// The panel's script: routes the host's messages to the attention views (webview/app.ts), the
// views' hovers, locks and layer/head choices back to the host, and keeps what a window reload
// needs in vscode.setState. The views draw; this file adds only the facts header and the notes.
import type { HeadChoice, HostToPanel, PanelInspection, PanelSavedState, PanelToHost } from '../src/protocol';
import { mountAttentionApp } from './app';
import type { SavedViewState } from './state';
import { translator, type Strings } from './views/strings';
import './panel.css';

interface VsCodeApi {
  postMessage(message: PanelToHost): void;
  getState(): PanelSavedState | undefined;
  setState(state: PanelSavedState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const strings = JSON.parse(document.body.dataset.strings ?? '{}') as Strings;
const t = translator(strings);
const main = document.getElementById('app')!;

const header = element('header');
const status = element('p', 'status');
status.hidden = true;
const viewsRoot = element('div', 'views');
const notes = element('footer');
main.append(header, status, viewsRoot, notes);

let saved: PanelSavedState = vscode.getState() ?? {};
// The inspection whose layers are arriving, and whether all of them have.
let currentId: number | undefined;
let finished = false;

const app = mountAttentionApp(viewsRoot, {
  locale: document.documentElement.lang,
  strings,
  workerUrl: document.body.dataset.workerUrl,
  post: (message) => vscode.postMessage(message),
});
if (saved.view) app.setState(saved.view);
app.onStateChange((view) => {
  saved = { ...saved, view };
  vscode.setState(saved);
  sendViewState(view);
});

function element<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (className) el.className = className;
  if (text !== undefined) el.textContent = text;
  return el;
}

function setBusy(busy: boolean): void {
  main.setAttribute('aria-busy', String(busy));
}

function showStatus(className: 'busy' | 'error' | 'restoring' | undefined, text = ''): void {
  status.className = `status ${className ?? ''}`.trim();
  status.textContent = text;
  status.hidden = className === undefined;
}

/** The model and its shape, as facts with `data-fact` names the tests and screen readers can find. */
function renderHeader(modelId: string, facts: { layers?: number; heads?: number; tokens?: number; provider: string; precision?: string }): void {
  const list = element('dl', 'facts');
  const fact = (name: string, value: number | string | undefined, key: string) => {
    if (value === undefined) return;
    const dd = element('dd', undefined, String(value));
    dd.dataset.fact = key;
    list.append(element('dt', undefined, name), dd);
  };
  fact(t('panel.layers'), facts.layers, 'layers');
  fact(t('panel.heads'), facts.heads, 'heads');
  fact(t('panel.tokens'), facts.tokens, 'tokens');
  fact(t('panel.provider'), facts.provider, 'provider');
  fact(t('panel.precision'), facts.precision, 'precision');
  header.replaceChildren(element('h1', 'model', modelId), list);
}

function renderNotes(inspection: PanelInspection, timings?: { loadMs: number; runMs: number; totalMs: number }): void {
  const lines: HTMLElement[] = [];
  if (inspection.truncatedFrom) lines.push(element('p', 'warning', t('panel.truncated', inspection.tokens.length, inspection.truncatedFrom)));
  for (const warning of inspection.warnings) lines.push(element('p', 'warning', warning));
  if (timings) lines.push(element('p', 'timings', t('panel.timings', timings.loadMs.toFixed(0), timings.runMs.toFixed(0), timings.totalMs.toFixed(0))));
  notes.replaceChildren(...lines);
}

/** The editor paints the layer and head the views show; it learns them only once an inspection is complete. */
function sendViewState(view: SavedViewState): void {
  if (!finished) return;
  const head: HeadChoice = view.aggregation === 'head' ? view.head : view.aggregation;
  vscode.postMessage({ type: 'viewState', layer: view.layer, head });
}

let inspection: PanelInspection | undefined;

window.addEventListener('message', (event: MessageEvent<HostToPanel>) => {
  const message = event.data;
  switch (message.type) {
    case 'busy':
      showStatus('busy', message.title);
      setBusy(true);
      break;
    case 'inspection':
      inspection = message;
      currentId = message.id;
      finished = false;
      saved = {
        ...saved,
        inspection: {
          text: message.text, modelId: message.model.id, modelSetting: message.modelSetting,
          provider: message.provider, source: message.source,
        },
      };
      vscode.setState(saved);
      showStatus(undefined);
      renderHeader(message.model.id, { layers: message.model.layers, heads: message.model.heads, tokens: message.tokens.length, provider: message.provider, precision: message.model.precision });
      renderNotes(message);
      app.setInspection({ model: message.model, tokens: message.tokens, text: message.text });
      setBusy(true);
      break;
    case 'layer':
      if (message.id !== currentId) break;
      app.addLayer(message.layer, new Float32Array(message.data));
      break;
    case 'done':
      if (message.id !== currentId || !inspection) break;
      finished = true;
      app.done();
      renderNotes(inspection, message.timings);
      setBusy(false);
      // The host shows its default layer and head for a new inspection: tell it what the views show.
      sendViewState(app.getState());
      break;
    case 'failed':
      showStatus('error', message.message);
      setBusy(false);
      break;
    case 'focusToken':
      app.highlightToken(message.index);
      break;
    case 'exportView':
      void app.exportView(message.view, message.requestId);
      break;
  }
});

// After a window reload the host inspects the saved text again; until it arrives, say so.
if (saved.inspection) {
  renderHeader(saved.inspection.modelId, { provider: saved.inspection.provider });
  showStatus('restoring', t('panel.restoring'));
  setBusy(true);
} else {
  setBusy(false);
}
vscode.postMessage({ type: 'ready' });
