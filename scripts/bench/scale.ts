// `npm run bench -- --scale [--long]`: long inputs on real shapes (random weights): the Qwen2.5-0.5B
// shape (24 layers × 14 heads) and synthetic-bert-base (12 × 12, to its 512 positions), at T = 128
// and 512, and with --long 2048 and 4096. Every inspection goes through the engine process as the
// extension runs it (EngineClient). Per row, medians over the timed runs of
//   firstLayerMs   inspect call → the first layer's event on the host; target totalMs / L + 30 ms;
//   totalMs        inspect call → reply;
//   floorMs        session.run of the uncut surgered graph fetching only attention, in a process
//                  of its own: the raw floor, and the uncut run the staged total is held to 1.10× of
//                  (skipped where the whole attention would not fit: 5.6 GB at T=2048);
// and, over the row's runs, the engine's peak RSS (VmHWM of its pid), this host process's peak
// above its idle level, and the cost per token pair, totalMs / (L·H·T²). The host's idle level is
// its RSS after a collection before the first inspection: freed attention the allocator keeps
// counts against later rows, as it would in the extension host.
// At T = 512, 2048 and 4096 the panel's app then shows one more inspection in Chromium, its views
// asking the engine for what they draw (viewBench.ts): bytes and time to pixels per view, the page's
// memory, and the engine's peak while it answers them.
import { existsSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import * as path from 'node:path';
import type { Browser } from 'playwright-core';
import { EngineClient } from '../../src/engine/client';
import { budgetBytes } from '../../src/engine/storeBudget';
import { runsAt, LONG_ROW_FROM, type BenchOptions } from './args';
import { FloorClient } from './floorClient';
import { inputOfLength, loadTokenizer, type BenchInput } from './inputText';
import { CACHE, REPO_ROOT, benchModel, float32WeightBytes, maxPositions } from './models';
import { MemoryGuard, collectGarbage, peakRssOf, resetPeak, rssOf } from './processMemory';
import { engineProbe, type EngineRow, type NextInspection } from './scaleProbe';
import { formatScale, scaleJson, type ScaleRow } from './scaleTable';
import { buildViewPage, measureViews, type ViewFigure, type PageFigure } from './viewBench';
import { ViewServer } from './viewServer';
import { launchChromium } from '../../test/harness/browser';
import { measureInterleaved, median, type Probe, type Sample } from './stats';

const GB = 1e9;
/** Past this much attention (L·H·T² float32) the floor's one session.run would not fit beside the engine. */
const FLOOR_MAX_BYTES = 2 * GB;
/** The bench's processes together (host, engine, floor, browser) stay below this; the machine keeps the rest. */
const OWN_LIMIT_BYTES = 19 * GB;
const MIN_AVAILABLE_BYTES = 1.5 * GB;
/** The engine's own limit, which the client enforces by ending it (as the extension does with its setting). */
const ENGINE_LIMIT_MB = 16_000;
/** Progress is a layer at a time, but one 4096-token layer of the Qwen shape can take minutes on two busy cores. */
const ENGINE_TIMEOUT_MS = 30 * 60_000;
/** Lengths at which the views are measured in the page. */
const VIEW_TOKENS = [512, 2048, 4096];

interface Model {
  name: string;
  dir: string;
  weightsBytes: number;
  lengths: number[];
}

/** Runs the scale rows and prints their table (or one JSON array with --json). */
export async function scaleBench(options: BenchOptions, log: (line: string) => void): Promise<void> {
  const enginePath = path.join(REPO_ROOT, 'dist', 'engine.js');
  if (!existsSync(enginePath)) throw new Error(`${enginePath} is missing: run \`npm run build\` first (npm run bench does).`);
  const loadBefore = loadavg()[0];
  const start = performance.now();
  const guard = new MemoryGuard({ ownBytes: OWN_LIMIT_BYTES, minAvailableBytes: MIN_AVAILABLE_BYTES }, (why) => {
    log(`scale bench: stopping: ${why}`);
    process.exit(3); // the engine and floor exit with their channel; playwright closes its browser on exit
  });
  const rows: ScaleRow[] = [];
  try {
    const models = [];
    for (const name of options.models) models.push(await modelOf(name, options, log));
    collectGarbage();
    const hostIdleBytes = rssOf('self');
    let inspection = 0;
    const pages = models.some((m) => m.lengths.some((T) => VIEW_TOKENS.includes(T)))
      ? { server: await ViewServer.start(await buildViewPage(path.join(CACHE, 'view-page'), REPO_ROOT)), browser: await launchChromium() } : undefined;
    const context = { enginePath, hostIdleBytes, nextInspection: () => ++inspection, pages };
    try {
      for (const model of models) rows.push(...await modelRows(model, options, context, log));
    } finally {
      await pages?.browser.close();
      await pages?.server.close();
    }
  } finally {
    guard.dispose();
  }
  if (options.json) {
    process.stdout.write(`${scaleJson(rows)}\n`);
    return;
  }
  console.log(formatScale(rows));
  console.log(`\nCPU provider, ${availableParallelism()} CPUs, 1-min load average ${loadBefore.toFixed(2)} before, ` +
    `${((performance.now() - start) / 60_000).toFixed(1)} min wall time; medians of the runs column ` +
    `(${options.runs} per row, at most ${runsAt(options, Infinity)} past T=${LONG_ROW_FROM}); untimed first: each row's checked ` +
    `inspection (a model's first also loads it) and, up to T=${LONG_ROW_FROM}, one round of every probe; spread is min–max of the total.`);
}

async function modelOf(name: string, options: BenchOptions, log: (line: string) => void): Promise<Model> {
  const folder = benchModel(name, log);
  const lengths = options.tokens.filter((T) => T <= maxPositions(folder));
  const skipped = options.tokens.filter((T) => !lengths.includes(T));
  if (skipped.length > 0) log(`${name}: skipping T=${skipped.join(', ')} (beyond its ${maxPositions(folder)} positions)`);
  return { name, dir: folder.dir, weightsBytes: await float32WeightBytes(folder), lengths };
}

interface Context {
  enginePath: string;
  hostIdleBytes: number;
  nextInspection: NextInspection;
  /** The page the views are measured on, when a row needs it. */
  pages?: { server: ViewServer; browser: Browser };
}

/** One model's engine process and floor process, and the floor's layer count once it is open. */
interface ModelProcesses {
  client: EngineClient;
  floor: FloorClient;
  floorLayers?: number;
}

// One engine and one floor process per model, so that neither carries the previous model's memory.
async function modelRows(model: Model, options: BenchOptions, context: Context, log: (line: string) => void): Promise<ScaleRow[]> {
  const processes: ModelProcesses = {
    client: new EngineClient({
      enginePath: context.enginePath, log: (line) => log(`  ${line}`),
      limits: () => ({ timeoutMs: ENGINE_TIMEOUT_MS, memoryLimitMB: ENGINE_LIMIT_MB }),
    }),
    floor: FloorClient.fork(CACHE),
  };
  const tokenizer = loadTokenizer(model.dir);
  const rows: ScaleRow[] = [];
  try {
    for (const T of model.lengths) {
      log(`${model.name} T=${T}: first (untimed) inspection${rows.length === 0 ? ', loading the model' : ''}…`);
      const row = await rowAt(model, inputOfLength(tokenizer, T), processes, options, context, log);
      // Each row as it is done, so a long run stopped early keeps what it measured.
      log(`row: ${scaleJson([row])}`);
      rows.push(row);
    }
  } finally {
    processes.client.dispose();
    await processes.floor.dispose();
  }
  return rows;
}

async function rowAt(
  model: Model, input: BenchInput, processes: ModelProcesses, options: BenchOptions, context: Context, log: (line: string) => void,
): Promise<ScaleRow> {
  const { client, floor } = processes;
  const T = input.ids.length;
  resetPeak('self');
  const engine = await engineProbe(client, model.dir, CACHE, input, context.nextInspection);
  log(`${model.name} T=${T}: the untimed inspection: first layer ${engine.checked.firstLayerMs.toFixed(0)} ms, ` +
    `total ${engine.checked.totalMs.toFixed(0)} ms; ${runsAt(options, T)} timed runs next`);
  const attentionBytes = engine.layers * engine.heads * T * T * 4;
  const probes: Probe[] = [engine.probe];
  let floorSkipped: string | undefined;
  if (attentionBytes > FLOOR_MAX_BYTES) {
    floorSkipped = `whole attention ${(attentionBytes / GB).toFixed(1)} GB`;
  } else {
    // Opened after the engine's first inspection, which built (and cached) a checkpoint's graph.
    processes.floorLayers ??= await floor.open(model.dir, { cacheDir: CACHE, rawOnly: true });
    if (processes.floorLayers !== engine.layers) throw new Error(`the floor exposes ${processes.floorLayers} layers, the engine ${engine.layers}`);
    probes.push(...await floor.probes(input, ['raw']));
  }
  const runs = runsAt(options, T);
  const pid = client.pid!;
  const engineBefore = resetPeak(pid);
  const { samples } = await measureInterleaved(probes, { rounds: T > LONG_ROW_FROM ? 0 : 1, ms: 0 }, runs);
  if (client.pid !== pid) throw new Error('the engine process restarted during the row; its peak is lost');
  const row = rowOf(model, T, engine, runs, samples, {
    enginePeakBytes: peakRssOf(pid), engineBeforeBytes: engineBefore, hostIdleBytes: context.hostIdleBytes,
    hostExtraBytes: peakRssOf('self') - context.hostIdleBytes, floorSkipped,
    // The engine's default budget (attentionLens.engine.memoryBudgetMB at 0), on this machine as on the engine's.
    storeMode: engine.store().mode, storeBytes: engine.store().bytes, budgetBytes: budgetBytes(undefined),
  });
  log(`${model.name} T=${T}: first layer ${row.firstLayerMs.toFixed(0)} ms, total ${row.totalMs.toFixed(0)} ms ` +
    `(${row.totalMinMs.toFixed(0)}–${row.totalMaxMs.toFixed(0)}), floor ${row.floorMs?.toFixed(0) ?? floorSkipped}, ` +
    `engine peak ${(row.enginePeakBytes / GB).toFixed(2)} GB, host +${(row.hostExtraBytes / 1e6).toFixed(0)} MB`);
  if (context.pages && VIEW_TOKENS.includes(T)) Object.assign(row, await viewsOf(engine, input.text, client, context, runs, log));
  return row;
}

// One more inspection, shown live on a page whose views ask the engine for what they draw.
async function viewsOf(
  engine: EngineRow, text: string, client: EngineClient, { pages, nextInspection }: Context, repeats: number, log: (line: string) => void,
): Promise<{ views: ViewFigure[]; page: PageFigure; engineViewPeakBytes: number }> {
  const pid = client.pid!;
  resetPeak(pid);
  const inspection = nextInspection();
  const measured = await measureViews(pages!.browser, pages!.server, client, async (show) => {
    await engine.inspect(inspection, { onStarted: (s) => show.onStarted({ model: s.model, tokens: s.tokens, text }), onLayer: (l) => show.onLayer(l) });
    await show.done();
  }, inspection, repeats);
  client.release(inspection);
  const engineViewPeakBytes = peakRssOf(pid);
  log(`  views: ${measured.views.map((v) => `${v.view} ${Number.isNaN(v.ms) ? (v.note ?? '—') : `${v.ms.toFixed(0)} ms`}`).join(', ')}; ` +
    `page heap +${(measured.page.heapBytes / 1e6).toFixed(0)} MB, renderers +${(measured.page.rendererPeakBytes / 1e6).toFixed(0)} MB`);
  return { ...measured, engineViewPeakBytes };
}

function rowOf(
  model: Model, T: number, engine: { layers: number; heads: number }, runs: number, samples: Map<string, Sample[]>,
  memory: Pick<ScaleRow, 'enginePeakBytes' | 'engineBeforeBytes' | 'hostIdleBytes' | 'hostExtraBytes' | 'floorSkipped' | 'storeMode' | 'storeBytes' | 'budgetBytes'>,
): ScaleRow {
  const timed = samples.get('engine')!;
  const totals = timed.map((s) => s.ms);
  const firsts = timed.map((s) => s.firstLayerMs ?? NaN);
  const raw = samples.get('raw');
  const totalMs = median(totals);
  return {
    model: model.name, tokens: T, layers: engine.layers, heads: engine.heads, runs,
    firstLayerMs: median(firsts), firstLayerMinMs: Math.min(...firsts), firstLayerMaxMs: Math.max(...firsts),
    totalMs, totalMinMs: Math.min(...totals), totalMaxMs: Math.max(...totals),
    floorMs: raw ? median(raw.map((s) => s.ms)) : undefined,
    nsPerPair: (totalMs * 1e6) / (engine.layers * engine.heads * T * T),
    weightsBytes: model.weightsBytes,
    ...memory,
  };
}
