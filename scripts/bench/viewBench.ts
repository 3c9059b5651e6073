// The scale bench's webview half: the panel's app in Debian's Chromium (playwright-core), its data
// source posting every AttentionRequest to the bench's server, which asks the engine process, as the
// panel's go through the presenter. Per view, over a few interactions that each ask for something
// new (another head, layer or token, so no reply is served from a view's cache):
//   bytes  what crossed to the page for the interaction (binary replies: buffers and a JSON head);
//   ms     from the interaction to the end of the view's drawing after its reply (the app's own
//          performance.measure), split into the wait for the reply (the engine's answer, then the
//          local HTTP transfer) and the drawing;
// and the page's memory above an idle page with the app mounted (pageMemory.ts).
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as esbuild from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import type { EngineClient } from '../../src/engine/client';
import type { AttentionRequest, ViewState } from '../../src/protocol';
import { PageMemory } from './pageMemory';
import { encodeReply } from './replyWire';
import { median } from './stats';
import type { Drawn, ViewPage } from './viewPage';
import type { ViewServer } from './viewServer';

/** One view's medians over its interactions. */
export interface ViewFigure {
  view: string;
  interactions: number;
  /** Bytes of the view's own replies, and of every reply the interaction brought (other views redraw too). */
  viewBytes: number;
  allBytes: number;
  /** Interaction → the view drawn; NaN when it never drew (the reply says why). */
  ms: number;
  /** The view's request → its reply decoded on the page (engine and transfer). */
  waitMs: number;
  /** The engine's part: the longest answer to one of the interaction's requests, measured on the host. */
  engineMs: number;
  /** The view's drawing after the reply (its performance.measure). */
  drawMs: number;
  /** A reply other than the view's own (e.g. 'unavailable' for a rollout the store will not compute). */
  note?: string;
}

/** The page's memory above an idle page, after an inspection was shown and every view was used. */
export interface PageFigure {
  heapBytes: number;
  rendererPeakBytes: number;
  rendererHeldBytes: number;
}

/** Bundles the page into `dir` for the server to serve. */
export async function buildViewPage(dir: string, repoRoot: string): Promise<string> {
  fs.mkdirSync(dir, { recursive: true });
  await esbuild.build({
    entryPoints: [path.join(__dirname, 'viewPage.ts')], bundle: true, format: 'iife', platform: 'browser',
    target: 'es2022', outfile: path.join(dir, 'viewPage.js'), logLevel: 'error',
  });
  // The webview tests' stand-ins for VS Code's theme variables, so the views draw as in a dark theme.
  fs.copyFileSync(path.join(repoRoot, 'test', 'webview', 'harness.css'), path.join(dir, 'page.css'));
  fs.writeFileSync(path.join(dir, 'index.html'),
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Attention Lens scale bench</title>' +
    '<link rel="stylesheet" href="page.css"></head><body class="vscode-dark"><div id="root"></div>' +
    '<script src="viewPage.js"></script></body></html>');
  return dir;
}

/** What an interaction does: change the view state, focus a token (as the editor's caret does), or resize the panel. */
type Action = { state: Partial<ViewState> } | { highlight: number } | { width: number };

interface Interaction {
  view: string;
  /** The request type the view makes, and the measure its drawing ends. */
  request: AttentionRequest['type'];
  measure: string;
  action(i: number, shape: { layers: number; heads: number; T: number }, state: ViewState): Action;
}

// Each repeat asks for something the view has not shown yet, so no reply comes from its cache.
const INTERACTIONS: Interaction[] = [
  { view: 'matrix, one head', request: 'matrix', measure: 'attention-lens:matrix',
    action: (i, s) => ({ state: { aggregation: 'head', layer: i % s.layers, head: (1 + 5 * i) % s.heads } }) },
  { view: 'matrix, mean over heads', request: 'matrix', measure: 'attention-lens:matrix',
    action: (i, s) => ({ state: { aggregation: 'mean', layer: (3 + 7 * i) % s.layers } }) },
  { view: 'one query across heads', request: 'headRows', measure: 'attention-lens:head-view',
    action: (i, s) => ({ highlight: Math.floor(((i + 1) * s.T) / 7) % s.T }) },
  // The model view asks again only when its thumbnails' pixel size changes: the panel resized below
  // the width where thumbnails reach their largest side (72 px: about 1100 px at 14 heads).
  { view: 'thumbnails (panel resized)', request: 'thumbnails', measure: 'attention-lens:model-view',
    action: (i) => ({ width: 900 - 100 * i }) },
  { view: 'rollout to a late layer', request: 'matrix', measure: 'attention-lens:matrix',
    action: (i, s) => ({ state: { aggregation: 'rollout', layer: s.layers - 1 - (i % s.layers) } }) },
];

const PAGE = { width: 1280, height: 1000 };

/**
 * Opens a fresh page, has `showLive` run inspection `inspection` into it as the panel shows one
 * (tokens, then each layer as the engine stores it), then times every view. The engine keeps the
 * inspection until the caller releases it.
 */
export async function measureViews(
  browser: Browser, server: ViewServer, client: EngineClient, showLive: (page: ShowHandlers) => Promise<void>,
  inspection: number, repeats: number,
): Promise<{ views: ViewFigure[]; page: PageFigure }> {
  server.answer = (id, request) => client.view(id, request);
  const page = await browser.newPage({ viewport: PAGE });
  await page.addInitScript('globalThis.__name = (target) => target;'); // tsx's keepNames, inside page.evaluate
  await page.goto(server.url);
  const memory = await PageMemory.watch(browser, page);
  try {
    await memory.start();
    await showLive(showOn(page, inspection));
    await settle(page);
    const views: ViewFigure[] = [];
    for (const interaction of INTERACTIONS) views.push(await timeView(page, interaction, repeats, server.engineMs));
    views.push(await topK(client, inspection, repeats));
    return { views, page: await memory.extra() };
  } finally {
    await memory.dispose();
    await page.close();
  }
}

/** Where a live inspection's events go: onto the page, in order. */
export interface ShowHandlers {
  onStarted(meta: Parameters<ViewPage['show']>[0]): void;
  onLayer(layer: number): void;
  /** Resolves once every event has reached the page. */
  done(): Promise<void>;
}

function showOn(page: Page, inspection: number): ShowHandlers {
  // page.evaluate calls are sent in order but answered asynchronously: chain them, so a layer never
  // reaches the page before its inspection.
  let chain: Promise<unknown> = Promise.resolve();
  const send = (body: () => Promise<unknown>): void => {
    chain = chain.then(body);
  };
  return {
    onStarted: (meta) => send(() => page.evaluate(({ meta, inspection }) => window.viewPage.show(meta, inspection), { meta, inspection })),
    onLayer: (layer) => send(() => page.evaluate((layer) => window.viewPage.layerArrived(layer), layer)),
    done: async () => {
      send(() => page.evaluate(() => window.viewPage.done()));
      await chain;
    },
  };
}

async function settle(page: Page): Promise<void> {
  await page.evaluate(async () => {
    do await window.viewPage.frame();
    while (window.viewPage.inFlight() > 0);
  });
}

// How long an interaction may take before the bench gives up on it: a view of a long input may need
// every layer recomputed by the engine (the model view's thumbnails), minutes on two cores.
function patienceMs(T: number): number {
  return T > 1024 ? 600_000 : 120_000;
}

async function timeView(page: Page, interaction: Interaction, repeats: number, engineMs: number[]): Promise<ViewFigure> {
  const samples: (Drawn & { engineMs: number })[] = [];
  let resized = false;
  for (let i = 0; i < repeats; i++) {
    const shape = await page.evaluate(() => window.viewPage.shape());
    const action = interaction.action(i, shape, await page.evaluate(() => window.viewPage.state()));
    engineMs.length = 0;
    if ('width' in action) {
      resized = true;
      await page.evaluate((measure) => window.viewPage.begin(measure), interaction.measure);
      await page.setViewportSize({ width: action.width, height: PAGE.height });
    } else {
      await page.evaluate(({ action, measure }) => {
        window.viewPage.begin(measure);
        if ('highlight' in action) window.viewPage.highlightToken(action.highlight);
        else window.viewPage.setState({ ...window.viewPage.state(), ...action.state });
      }, { action, measure: interaction.measure });
    }
    const drawn = await page.evaluate(({ request, measure, limitMs }) => window.viewPage.drawn(request, measure, limitMs),
      { request: interaction.request, measure: interaction.measure, limitMs: patienceMs(shape.T) });
    samples.push({ ...drawn, engineMs: Math.max(0, ...engineMs) });
    await settle(page);
    if (Number.isNaN(drawn.waitMs)) break; // a view that did not draw this time will not on the next try either
  }
  if (resized) {
    await page.setViewportSize(PAGE);
    await settle(page);
  }
  return {
    view: interaction.view, interactions: samples.length,
    ms: median(samples.map((s) => s.ms)), waitMs: median(samples.map((s) => s.waitMs)), drawMs: median(samples.map((s) => s.drawMs)),
    viewBytes: median(samples.map((s) => s.viewBytes)), allBytes: median(samples.map((s) => s.allBytes)),
    engineMs: median(samples.map((s) => s.engineMs)), note: samples.find((s) => s.note)?.note,
  };
}

// Top-k feeds the editor's hover card, which the host draws: timed on the host, no page involved.
async function topK(client: EngineClient, inspection: number, repeats: number): Promise<ViewFigure> {
  const samples: { ms: number; bytes: number }[] = [];
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    const reply = await client.view(inspection, {
      type: 'topk', token: 1 + i, received: false, k: 10,
      choice: { layer: i, aggregation: 'mean', head: 0, hideSpecial: false },
    });
    samples.push({ ms: performance.now() - start, bytes: encodeReply(reply).byteLength });
  }
  const ms = median(samples.map((s) => s.ms));
  return { view: 'top-k (hover card, host only)', interactions: repeats, viewBytes: median(samples.map((s) => s.bytes)),
    allBytes: median(samples.map((s) => s.bytes)), ms, waitMs: ms, engineMs: ms, drawMs: NaN };
}
