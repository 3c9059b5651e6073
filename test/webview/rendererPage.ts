// A page that loads the built notebook renderer (dist/notebookRenderer.js) as VS Code's notebook
// webview does, as an ES module over http, and hands it output items shaped like VS Code's (bytes,
// with text() and json() decoding them). Shared by the renderer tests and the notebook bench.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { ROOT } from '../unit/fixtures';

const ORIGIN = 'http://renderer.test';
const BUNDLE = path.join(ROOT, 'dist', 'notebookRenderer.js');

const INDEX = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Notebook output</title>
<style>body { margin: 0; padding: 8px 16px; background: var(--vscode-editor-background, #1f1f1f); }</style></head>
<body class="vscode-dark"><div id="output"></div>
<script type="module">
import { activate } from './notebookRenderer.js';
window.renderer = await activate({ getState() {}, setState() {}, getRenderer: async () => undefined, workspace: { isTrusted: true } });
document.body.dataset.ready = 'true';
</script></body></html>`;

export interface RenderTiming {
  /** From renderOutputItem until the first layer's matrix is on the canvas. */
  firstMatrixMs: number;
  /** Until every layer was decoded and added (renderOutputItem resolved). */
  allLayersMs: number;
  /** Until the model view had painted every thumbnail. */
  modelViewMs: number;
  /** The longest main-thread task seen meanwhile (long tasks are those over 50 ms; 0 if none). */
  longestTaskMs: number;
}

/** Opens the renderer page; `outputs` maps a name to the bytes served at /<name>.json. */
export async function openRendererPage(browser: Browser, outputs: Map<string, Buffer>, viewport = { width: 1280, height: 1400 }): Promise<{ page: Page; errors: string[] }> {
  if (!fs.existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run npm run build first`);
  const page = await browser.newPage({ viewport });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  await page.route(`${ORIGIN}/**`, (route) => {
    const name = new URL(route.request().url()).pathname.slice(1);
    if (name === '') return route.fulfill({ contentType: 'text/html', body: INDEX });
    if (name === 'notebookRenderer.js') return route.fulfill({ contentType: 'text/javascript', body: fs.readFileSync(BUNDLE) });
    const body = outputs.get(name.replace(/\.json$/, ''));
    return body ? route.fulfill({ contentType: 'application/json', body }) : route.fulfill({ status: 404 });
  });
  await page.addInitScript('globalThis.__name = (target) => target;');
  await page.goto(`${ORIGIN}/`);
  await page.waitForFunction(() => document.body.dataset.ready === 'true');
  return { page, errors };
}

/** Renders output `name` (of `thumbnails` layers × heads) into the page as VS Code would, timing it. */
export async function renderOutput(page: Page, name: string, thumbnails: number): Promise<RenderTiming> {
  return page.evaluate(async ({ name, thumbnails }) => {
    const bytes = new Uint8Array(await (await fetch(`/${name}.json`)).arrayBuffer());
    const item = {
      id: `output-${name}`,
      mime: 'application/vnd.attention-lens.v1+json',
      metadata: {},
      data: () => bytes,
      text: () => new TextDecoder().decode(bytes),
      json: () => JSON.parse(new TextDecoder().decode(bytes)) as unknown,
      blob: () => new Blob([bytes]),
    };
    const element = document.getElementById('output')!;
    let longest = 0;
    const observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) longest = Math.max(longest, entry.duration);
    });
    observer.observe({ type: 'longtask', buffered: false });
    const start = performance.now();
    let firstMatrix = 0;
    const watchMatrix = () => {
      const matrix = element.querySelector<HTMLElement>('.al-matrix');
      if (matrix && matrix.dataset.size && !firstMatrix) firstMatrix = performance.now() - start;
      if (!firstMatrix) requestAnimationFrame(watchMatrix);
    };
    requestAnimationFrame(watchMatrix);
    const renderer = (window as unknown as { renderer: { renderOutputItem(i: unknown, e: HTMLElement, s: AbortSignal): Promise<void> } }).renderer;
    await renderer.renderOutputItem(item, element, new AbortController().signal);
    const allLayers = performance.now() - start;
    const failed = element.querySelector('.al-notebook-error');
    if (failed) throw new Error(`the renderer shows an error: ${failed.textContent}`);
    const model = element.querySelector<HTMLElement>('.al-model');
    const all = String(thumbnails);
    while (model && model.dataset.painted !== all) await new Promise((resolve) => requestAnimationFrame(resolve));
    const modelView = performance.now() - start;
    while (!firstMatrix) await new Promise((resolve) => requestAnimationFrame(resolve));
    // Long-task entries are delivered after the task: give the observer one more task.
    await new Promise((resolve) => setTimeout(resolve, 0));
    observer.disconnect();
    return { firstMatrixMs: firstMatrix, allLayersMs: allLayers, modelViewMs: modelView, longestTaskMs: longest };
  }, { name, thumbnails });
}
