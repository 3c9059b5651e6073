// The panel's script: asks the presenter in the extension host what to show as soon as it loads
// (first open, shown again after being hidden, window reload), feeds what it is told to the attention
// views (webview/app.ts), and reports the views' hovers, locks and view-state changes back. The
// attention stays in the engine: the views' requests for what they draw go to the presenter, which
// passes them on. It keeps in vscode.setState only what the presenter gives it to keep. The views
// draw; this file adds only the facts header and the notes.
import type { AttentionData } from '../src/attention/localAttention';
import { Channel, Transfer, type Port } from '../src/channel';
import type { PageApi, PanelEnvelope, PanelInspection, PanelSavedState, PanelUpdate, PresenterApi } from '../src/protocol';
import { mountAttentionApp } from './app';
import { translator, type Strings } from './views/strings';
import './panel.css';

interface VsCodeApi {
  postMessage(message: PanelEnvelope): void;
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

// This page's name on the webview's one message pipe: the host tells pages apart by it.
const pageName = Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, '0')).join('');
const port: Port = {
  post: (message) => vscode.postMessage({ page: pageName, message }),
  listen: (listener) => {
    const receive = (event: MessageEvent<Partial<PanelEnvelope>>) => {
      if (event.data?.page === pageName) listener(event.data.message);
    };
    window.addEventListener('message', receive);
    return () => window.removeEventListener('message', receive);
  },
};
const presenter = new Channel<PresenterApi, PageApi>(port, {
  exportView: async ({ view }) => {
    const png = await app.renderPng(view);
    return new Transfer(png, [png.data]);
  },
});

/** Tells the presenter something; a failure there is the host's to report. */
function tell<M extends Exclude<keyof PresenterApi, 'show'>>(method: M, params: PresenterApi[M]['params']): void {
  presenter.request(method, params).catch((error: unknown) => console.error(`attention lens: ${method} failed`, error));
}

// The inspection whose layers are arriving, and whether the view state being applied came from the
// presenter (then it is not reported back).
let inspection: PanelInspection | undefined;
let fromPresenter = false;

const app = mountAttentionApp(viewsRoot, {
  locale: document.documentElement.lang,
  strings,
  post: (message) => {
    switch (message.type) {
      case 'export':
        return tell('export', { what: message.what });
      case 'revealToken':
        return tell('revealToken', { index: message.index });
      case 'hoverToken':
        return tell('hoverToken', { index: message.index });
      case 'showWindow':
        return tell('showWindow', { index: message.index });
    }
  },
});
app.onStateChange((view) => {
  if (!fromPresenter && inspection) tell('viewState', view);
});

/** Inspection `id`'s attention, asked of the presenter; aborting a request cancels it there too. */
function attentionOf(id: number): AttentionData {
  return { request: (request, signal) => presenter.request('view', { inspection: id, request }, { signal }) };
}

function applyView(apply: () => void): void {
  fromPresenter = true;
  try {
    apply();
  } finally {
    fromPresenter = false;
  }
}

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

function show(update: PanelUpdate): void {
  switch (update.type) {
    case 'busy':
      showStatus('busy', update.title);
      setBusy(true);
      break;
    case 'restoring':
      renderHeader(update.modelId, { provider: update.provider });
      showStatus('restoring', t('panel.restoring'));
      setBusy(true);
      break;
    case 'failed':
      showStatus('error', update.message);
      setBusy(false);
      break;
    case 'inspection': {
      const shown = update.inspection;
      inspection = shown;
      showStatus(undefined);
      renderHeader(shown.model.id, { layers: shown.model.layers, heads: shown.model.heads, tokens: shown.tokens.length, provider: shown.provider, precision: shown.model.precision });
      renderNotes(shown);
      applyView(() => app.setInspection({ model: shown.model, tokens: shown.tokens, text: shown.text, window: shown.window, generated: shown.generated, id: shown.id }, attentionOf(shown.id), update.view));
      setBusy(true);
      break;
    }
    case 'layer':
      if (update.id !== inspection?.id) break;
      app.layerArrived(update.layer);
      break;
    case 'done':
      if (update.id !== inspection?.id) break;
      app.done();
      renderNotes(inspection, update.timings);
      setBusy(false);
      break;
    case 'view':
      applyView(() => app.setState(update.view));
      break;
    case 'focusToken':
      app.highlightToken(update.index);
      break;
    case 'save':
      vscode.setState(update.state);
      break;
  }
}

setBusy(false);
// The request stays open while this page lives: the presenter answers with what it shows now, then
// streams each change.
presenter.request('show', {}, { onEvent: show }).catch((error: unknown) => console.error('attention lens: the presenter stopped answering', error));
