// The panel's script: for now a token strip and the model's layer/head counts. Later views (matrix,
// head view) draw on <canvas> from the same messages; this file only routes and keeps state.
import type { HostToPanel, PanelInspection, PanelLabels, PanelToHost } from '../src/host/panelMessages';
import type { Timings } from '../src/protocol';
import './panel.css';

interface VsCodeApi {
  postMessage(message: PanelToHost): void;
  getState(): SavedState | undefined;
  setState(state: SavedState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

/** What survives a reload: the summary, not the matrices (they can be large). */
interface SavedState {
  inspection?: Omit<PanelInspection, 'type'>;
  timings?: Timings;
}

const vscode = acquireVsCodeApi();
const labels = JSON.parse(document.body.dataset.labels ?? '{}') as PanelLabels;
const app = document.getElementById('app')!;

let state: SavedState = vscode.getState() ?? {};
let layersReceived = 0;

function element<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (className) el.className = className;
  if (text !== undefined) el.textContent = text;
  return el;
}

function format(template: string, ...values: (string | number)[]): string {
  return template.replace(/\{(\d+)\}/g, (_, i: string) => String(values[Number(i)] ?? ''));
}

function showMessage(className: string, text: string): void {
  app.replaceChildren(element('p', className, text));
  app.setAttribute('aria-busy', String(className === 'busy'));
}

function render(): void {
  const inspection = state.inspection;
  if (!inspection) {
    showMessage('idle', labels.idle);
    return;
  }
  const { model, tokens } = inspection;
  const header = element('header');
  header.append(element('h1', 'model', model.id));
  const facts = element('dl', 'facts');
  const fact = (name: string, value: string, key: string) => {
    const dt = element('dt', undefined, name);
    const dd = element('dd', undefined, value);
    dd.dataset.fact = key;
    facts.append(dt, dd);
  };
  fact(labels.layers, String(model.layers), 'layers');
  fact(labels.heads, String(model.heads), 'heads');
  fact(labels.tokens, String(tokens.length), 'tokens');
  fact(labels.provider, inspection.provider, 'provider');
  header.append(facts);

  const strip = element('ol', 'tokens');
  strip.setAttribute('aria-label', labels.tokens);
  tokens.forEach((token, index) => {
    const item = element('li');
    const button = element('button', token.special ? 'token special' : 'token', visible(token.text));
    button.title = `#${index} · id ${token.id} · [${token.start}, ${token.end})`;
    button.dataset.index = String(index);
    item.append(button);
    strip.append(item);
  });

  const notes = element('footer');
  if (inspection.truncatedFrom) notes.append(element('p', 'warning', format(labels.truncated, tokens.length, inspection.truncatedFrom)));
  for (const warning of inspection.warnings) notes.append(element('p', 'warning', warning));
  const t = state.timings;
  if (t) notes.append(element('p', 'timings', format(labels.timings, t.loadMs.toFixed(0), t.runMs.toFixed(0), t.totalMs.toFixed(0))));

  app.replaceChildren(header, strip, notes);
  app.setAttribute('aria-busy', String(!t));
  app.dataset.layersReceived = String(layersReceived);
}

// Whitespace inside tokens is what people need to see (`▁` already marks spaces in SentencePiece).
function visible(text: string): string {
  return text.replace(/\n/g, '↵').replace(/\t/g, '→').replace(/ /g, '·') || '∅';
}

app.addEventListener('click', (event) => {
  const target = (event.target as HTMLElement).closest<HTMLElement>('button.token');
  if (target?.dataset.index) vscode.postMessage({ type: 'revealToken', index: Number(target.dataset.index) });
});

window.addEventListener('message', (event: MessageEvent<HostToPanel>) => {
  const message = event.data;
  switch (message.type) {
    case 'busy':
      showMessage('busy', message.title);
      break;
    case 'inspection': {
      const { type: _type, ...inspection } = message;
      state = { inspection };
      layersReceived = 0;
      vscode.setState(state);
      render();
      break;
    }
    case 'layer':
      if (message.id !== state.inspection?.id) break;
      layersReceived++;
      app.dataset.layersReceived = String(layersReceived);
      break;
    case 'done':
      if (message.id !== state.inspection?.id) break;
      state = { ...state, timings: message.timings };
      vscode.setState(state);
      render();
      break;
    case 'failed':
      showMessage('error', message.message);
      break;
  }
});

render();
vscode.postMessage({ type: 'ready' });
