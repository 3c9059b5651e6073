// The notebook renderer for application/vnd.attention-lens.v1+json outputs: each output gets the
// panel's own attention views (webview/app.ts), in the notebook's theme, from the document alone, so
// a saved notebook shows them with no kernel and no extension host. The tokens show at once; layers
// are decoded one per task, so a 12 × 12 × 512 output never holds the notebook's page for more than
// one layer's decoding, and then drawn in one frame.
import type { ActivationFunction, OutputItem } from 'vscode-notebook-renderer';
import { mountAttentionApp, type AttentionApp } from '../app';
import { showLocally } from '../localInspection';
import { bundledStrings, translator } from '../views/strings';
import { checkDocument } from './notebookDocument';

// The export menu saves files through the extension host, which a notebook output has no line to.
const NOTEBOOK_CSS = `
.al-notebook-output .al-export { display: none !important; }
.al-notebook-summary { margin: 0 0 8px; color: var(--vscode-descriptionForeground, #9d9d9d);
  font-family: var(--vscode-font-family, system-ui, sans-serif); font-size: var(--vscode-font-size, 13px); }
.al-notebook-error { color: var(--vscode-errorForeground, #f48771); }
`;

function adoptNotebookStyles(doc: Document): void {
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(NOTEBOOK_CSS);
  doc.adoptedStyleSheets = [...doc.adoptedStyleSheets, sheet];
}

const nextTask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

export const activate: ActivationFunction = () => {
  const apps = new Map<string, AttentionApp>();
  let styled = false;
  const locale = document.documentElement.lang || navigator.language || 'en';
  // Renderers have no vscode.l10n: the table is filled from the bundles built into this script.
  const strings = bundledStrings(locale);
  const t = translator(strings);

  const dispose = (id: string) => {
    apps.get(id)?.dispose();
    apps.delete(id);
  };

  async function render(item: OutputItem, element: HTMLElement, signal: AbortSignal): Promise<void> {
    if (!styled) {
      adoptNotebookStyles(element.ownerDocument);
      styled = true;
    }
    dispose(item.id);
    element.replaceChildren();
    const root = element.ownerDocument.createElement('div');
    root.className = 'al-notebook-output';
    element.append(root);
    try {
      const checked = checkDocument(item.json());
      const { doc } = checked;
      const summary = Object.assign(element.ownerDocument.createElement('p'), {
        className: 'al-notebook-summary',
        textContent: t('notebook.summary', doc.model.id, doc.tokens.length, doc.model.layers, doc.model.heads),
      });
      root.append(summary);
      const app = mountAttentionApp(root, { locale, strings });
      apps.set(item.id, app);
      const addLayer = showLocally(app, { model: doc.model, tokens: doc.tokens, text: doc.text });
      // Decode one layer per task, so the notebook stays responsive, and add them all in one task,
      // so the views draw once with every layer rather than once per layer.
      const layers: Float32Array[] = [];
      for (let l = 0; l < checked.layerCount; l++) {
        await nextTask();
        if (signal.aborted || apps.get(item.id) !== app) return;
        layers.push(checked.layer(l));
      }
      layers.forEach((data, l) => addLayer(l, data));
      app.done();
      root.dataset.loaded = String(checked.layerCount);
    } catch (error) {
      console.error('attention-lens: could not show the output', error);
      dispose(item.id);
      const message = Object.assign(element.ownerDocument.createElement('p'), {
        className: 'al-notebook-error',
        textContent: t('notebook.invalid', error instanceof Error ? error.message : String(error)),
      });
      root.replaceChildren(message);
      root.dataset.failed = 'true';
    }
  }

  return {
    renderOutputItem: render,
    disposeOutputItem(id?: string) {
      if (id === undefined) for (const key of [...apps.keys()]) dispose(key);
      else dispose(id);
    },
  };
};
