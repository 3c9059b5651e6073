// `npm run bench -- --scale [--long]`: long inputs on real shapes (random weights): the Qwen2.5-0.5B
// shape (24 layers × 14 heads) and synthetic-bert-base (12 × 12, to its 512 positions), at T = 128
// and 512, and with --long 2048 and 4096. Every inspection goes through the engine process as the
// extension runs it (EngineClient). Per row, medians over the timed runs of
//   firstLayerMs   inspect call → the first layer's event on the host; target totalMs / L + 30 ms;
//   totalMs        inspect call → reply;
//   floorMs        session.run of the uncut surgered graph fetching only attention, in a process
//                  of its own (skipped where the whole attention would not fit: 5.6 GB at T=2048);
// and, over the row's runs, the engine's peak RSS (VmHWM of its pid), this host process's peak
// above its idle level, and the cost per token pair, totalMs / (L·H·T²). The host's idle level is
// its RSS after a collection before the first inspection: freed attention the allocator keeps
// counts against later rows, as it would in the extension host.
import { existsSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import * as path from 'node:path';
import { EngineClient } from '../../src/engine/client';
import { runsAt, LONG_ROW_FROM, type BenchOptions } from './args';
import { FloorClient } from './floorClient';
import { inputOfLength, loadTokenizer } from './inputText';
import { CACHE, REPO_ROOT, benchModel, float32WeightBytes, maxPositions } from './models';
import { MemoryGuard, collectGarbage, peakRssOf, resetPeak, rssOf } from './processMemory';
import { engineProbe } from './scaleProbe';
import { formatScale, scaleJson, type ScaleRow } from './scaleTable';
import { measureInterleaved, median, type Probe, type Sample } from './stats';

const GB = 1e9;
/** Past this much attention (L·H·T² float32) the floor's one session.run would not fit beside the engine. */
const FLOOR_MAX_BYTES = 2 * GB;
/** The bench's processes together (host, engine, floor, browser) stay below this; the machine keeps the rest. */
const OWN_LIMIT_BYTES = 19 * GB;
const MIN_AVAILABLE_BYTES = 1.5 * GB;
/** The engine's own limit, which the client enforces by ending it (as the extension does with its setting). */
const ENGINE_LIMIT_MB = 16_000;
/** A 4096-token run of the Qwen shape is minutes of one session.run on two cores, with no event meanwhile. */
const ENGINE_TIMEOUT_MS = 30 * 60_000;

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
    for (const model of models) rows.push(...await modelRows(model, options, { enginePath, hostIdleBytes }, log));
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

// One engine and one floor process per model, so that neither carries the previous model's memory.
async function modelRows(
  model: Model, options: BenchOptions, { enginePath, hostIdleBytes }: { enginePath: string; hostIdleBytes: number }, log: (line: string) => void,
): Promise<ScaleRow[]> {
  const client = new EngineClient({
    enginePath, log: (line) => log(`  ${line}`),
    limits: () => ({ timeoutMs: ENGINE_TIMEOUT_MS, memoryLimitMB: ENGINE_LIMIT_MB }),
  });
  const floor = FloorClient.fork(CACHE);
  const tokenizer = loadTokenizer(model.dir);
  let floorLayers: number | undefined;
  const rows: ScaleRow[] = [];
  try {
    for (const T of model.lengths) {
      const input = inputOfLength(tokenizer, T);
      resetPeak('self');
      log(`${model.name} T=${T}: first (untimed) inspection${rows.length === 0 ? ', loading the model' : ''}…`);
      const engine = await engineProbe(client, model.dir, CACHE, input);
      const attentionBytes = engine.layers * engine.heads * T * T * 4;
      const probes: Probe[] = [engine.probe];
      let floorSkipped: string | undefined;
      if (attentionBytes > FLOOR_MAX_BYTES) {
        floorSkipped = `whole attention ${(attentionBytes / GB).toFixed(1)} GB`;
      } else {
        // Opened after the engine's first inspection, which built (and cached) a checkpoint's graph.
        floorLayers ??= await floor.open(model.dir, { cacheDir: CACHE, rawOnly: true });
        if (floorLayers !== engine.layers) throw new Error(`the floor exposes ${floorLayers} layers, the engine ${engine.layers}`);
        probes.push(...await floor.probes(input, ['raw']));
      }
      const runs = runsAt(options, T);
      const pid = client.pid!;
      const engineBefore = resetPeak(pid);
      const { samples } = await measureInterleaved(probes, { rounds: T > LONG_ROW_FROM ? 0 : 1, ms: 0 }, runs);
      if (client.pid !== pid) throw new Error('the engine process restarted during the row; its peak is lost');
      const row = rowOf(model, T, engine, runs, samples, {
        enginePeakBytes: peakRssOf(pid), engineBeforeBytes: engineBefore, hostIdleBytes,
        hostExtraBytes: peakRssOf('self') - hostIdleBytes, floorSkipped,
      });
      log(`${model.name} T=${T}: first layer ${row.firstLayerMs.toFixed(0)} ms, total ${row.totalMs.toFixed(0)} ms ` +
        `(${row.totalMinMs.toFixed(0)}–${row.totalMaxMs.toFixed(0)}), floor ${row.floorMs?.toFixed(0) ?? floorSkipped}, ` +
        `engine peak ${(row.enginePeakBytes / GB).toFixed(2)} GB, host +${(row.hostExtraBytes / 1e6).toFixed(0)} MB`);
      rows.push(row);
    }
  } finally {
    client.dispose();
    await floor.dispose();
  }
  return rows;
}

function rowOf(
  model: Model, T: number, engine: { layers: number; heads: number }, runs: number, samples: Map<string, Sample[]>,
  memory: Pick<ScaleRow, 'enginePeakBytes' | 'engineBeforeBytes' | 'hostIdleBytes' | 'hostExtraBytes' | 'floorSkipped'>,
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
