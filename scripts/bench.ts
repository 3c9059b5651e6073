// `npm run bench`: what the attention pipeline costs on top of running the model. Per model and
// input length T it reports medians of
//   bareMs          session.run of the unmodified graph, fetching its own outputs;
//   rawAttentionMs  session.run of the surgered graph, fetching only the attention outputs (the floor
//                   for any tool that shows attention); both timed in a worker thread of their own;
//   pipelineMs      EngineClient.inspect(): tokenize, run and keep every layer in the engine
//                   process's attention store, sending this thread a notice per layer, as the
//                   extension does;
//   threadMs        the same pipeline in a worker thread (scripts/bench/engineThread.ts), as the
//                   engine ran before it had a process: pipelineMs − threadMs is the process boundary;
// plus ratio = pipelineMs / rawAttentionMs, this (host) thread's longest event-loop delay during the
// engine-process runs, and the same while the raw graph runs back to back for as long as the last
// inspection took, when the host does nothing: its idle baseline (every probe runs under the same
// event-loop watcher, so they are timed alike, and the baseline's window is as long as the one it
// is compared with). Progress goes to stderr, so `--json` leaves exactly one JSON array on stdout.
// Other modes: --startup, --loading, --boundary, and --scale [--long] (scripts/bench/scale.ts: long
// inputs on the Qwen2.5-0.5B and BERT-base shapes: time to the first layer, each process's memory).
import { existsSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import * as path from 'node:path';
import { EngineClient } from '../src/engine/client';
import type { Timings } from '../src/protocol';
import { UsageError, parseArgs, type BenchOptions } from './bench/args';
import { inputOfLength, loadTokenizer } from './bench/inputText';
import { loadingBench } from './bench/loading';
import { scaleBench } from './bench/scale';
import { stagesBench } from './bench/stages';
import { generationBench } from './bench/generation';
import { FloorClient } from './bench/floorClient';
import { ThreadEngine } from './bench/threadEngine';
import { boundaryRows } from './bench/boundary';
import { GcWatch } from './bench/gcWatch';
import { CACHE, REPO_ROOT, benchModel, maxPositions } from './bench/models';
import { pipelineProbe } from './bench/pipelineRuns';
import { formatStartup, startupFigures } from './bench/startup';
import { measureInterleaved, median, type Sample } from './bench/stats';
import { HOST_BLOCK_MARGIN_MS, formatBoundary, formatBreakdown, formatHostBlock, formatTable, toJson, type BenchRow, type PipelineBreakdown } from './bench/table';

/** Fresh processes (activation) and encodes (tokenizer) behind the startup figures of a full run. */
const STARTUP_RUNS = 5;

const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

interface Workers {
  client: EngineClient;
  thread: ThreadEngine;
  floor: FloorClient;
  /** GC pauses of this (host) thread. */
  hostGc: GcWatch;
}

async function benchModelRows(name: string, options: BenchOptions, { client, thread, floor, hostGc }: Workers): Promise<BenchRow[]> {
  const folder = benchModel(name, log);
  const tokenizer = loadTokenizer(folder.dir);
  const lengths = options.tokens.filter((T) => T <= maxPositions(folder));
  const skipped = options.tokens.filter((T) => !lengths.includes(T));
  if (skipped.length > 0) log(`${name}: skipping T=${skipped.join(', ')} (beyond max_position_embeddings ${maxPositions(folder)})`);
  if (lengths.length === 0) return [];

  const layers = await floor.open(folder.dir);
  const rows: BenchRow[] = [];
  try {
    for (const T of lengths) {
      const input = inputOfLength(tokenizer, T);
      const [bare, raw] = await floor.probes(input);
      const pipeline = await pipelineProbe('pipeline', (r) => client.inspect(r), hostGc, folder.dir, input, layers);
      // The idle window of each round is as long as the previous round's inspection.
      let inspectionMs = 0;
      const probes = [
        bare, raw, floor.idleProbe(() => inspectionMs),
        { name: pipeline.name, run: async () => {
          const sample = await pipeline.run();
          inspectionMs = sample.ms;
          return sample;
        } },
        await pipelineProbe('thread', (r) => thread.inspect(r), hostGc, folder.dir, input, layers),
      ];
      const { samples, warmupRounds } = await measureInterleaved(
        probes, { rounds: options.warmup, ms: options.warmupMs }, options.runs);
      const ms = (probe: string): number => median(samples.get(probe)!.map((s) => s.ms));
      const maxBlock = (probe: string): number => Math.max(...samples.get(probe)!.map((s) => s.hostBlockMs ?? 0));
      const medianBlock = (probe: string): number => median(samples.get(probe)!.map((s) => s.hostBlockMs ?? 0));
      const maxUnshared = (probe: string): number => Math.max(...samples.get(probe)!.map((s) => s.unsharedBlockMs ?? 0));
      const [bareMs, rawAttentionMs, pipelineMs, threadMs] = [ms('bare'), ms('raw'), ms('pipeline'), ms('thread')];
      const row: BenchRow = {
        model: name, tokens: T, bareMs, rawAttentionMs, pipelineMs, threadMs,
        ratio: pipelineMs / rawAttentionMs, maxHostBlockMs: maxBlock('pipeline'), idleHostBlockMs: maxBlock('idle'),
        rawHostBlockMs: maxBlock('raw'), threadHostBlockMs: maxBlock('thread'), breakdown: breakdownOf(samples),
        typicalHostBlockMs: medianBlock('pipeline'), typicalIdleHostBlockMs: medianBlock('idle'),
        unsharedHostBlockMs: maxUnshared('pipeline'), unsharedIdleHostBlockMs: maxUnshared('idle'),
      };
      log(`${name} T=${T} (text of ${input.fullLength} tokens, ${warmupRounds} warm-up rounds): bare ${bareMs.toFixed(2)} ms, raw ${rawAttentionMs.toFixed(2)} ms, ` +
        `engine process ${pipelineMs.toFixed(2)} ms, thread ${threadMs.toFixed(2)} ms, ratio ${row.ratio.toFixed(3)}, ` +
        `max host block ${row.maxHostBlockMs.toFixed(2)} ms (idle ${row.idleHostBlockMs.toFixed(2)} ms)`);
      rows.push(row);
    }
  } finally {
    await floor.release();
  }
  return rows;
}

function breakdownOf(samples: Map<string, Sample[]>): PipelineBreakdown | undefined {
  const timed = samples.get('pipeline')!.filter((s) => s.timings);
  if (timed.length === 0) return undefined;
  const of = (part: (s: Sample, t: Timings) => number): number => median(timed.map((s) => part(s, s.timings!)));
  return {
    rawGcMs: median(samples.get('raw')!.map((s) => s.gcMs ?? 0)),
    hostGcMs: of((s) => s.gcMs ?? 0),
    tokenizeMs: of((_, t) => t.tokenizeMs),
    runMs: of((_, t) => t.runMs),
    workerOtherMs: of((_, t) => t.totalMs - t.loadMs - t.tokenizeMs - t.runMs),
    messagingMs: of((s, t) => s.ms - t.totalMs),
  };
}

function warmupText({ warmup, warmupMs }: BenchOptions): string {
  return `at least ${warmup} warm-up rounds and ${(warmupMs / 1000).toFixed(1)} s of them per row`;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  // Loading costs are their own rows on a 1 GB checkpoint, only when asked (they take minutes).
  if (options.mode === 'loading') return loadingBench(options.runs, log);
  if (options.mode === 'stages') return stagesBench(options.runs, options.long, log);
  if (options.mode === 'generate') return generationBench(options, log);
  if (options.mode === 'scale') return scaleBench(options, log);
  if (options.mode === 'startup') {
    const figures = await startupFigures(options.runs, log);
    console.log(options.json ? JSON.stringify(figures) : formatStartup(figures));
    return;
  }
  // `--boundary`: only the process boundary's own cost (no model), which takes seconds.
  if (options.mode === 'boundary') return printBoundary(options);
  const enginePath = path.join(REPO_ROOT, 'dist', 'engine.js');
  if (!existsSync(enginePath)) throw new Error(`${enginePath} is missing: run \`npm run build\` first (npm run bench does).`);

  // Other work on the machine inflates every time measured; the load average says how much to trust them.
  const cpus = availableParallelism();
  const loadBefore = loadavg()[0];
  if (loadBefore > cpus / 2) log(`bench: warning: load average ${loadBefore.toFixed(2)} on ${cpus} CPUs before starting; timings will be noisy`);
  const start = performance.now();
  log(`bench: N=${options.runs} timed runs per measurement (medians), after ${warmupText(options)}; ` +
    'bare, raw, engine-process and worker-thread runs interleaved');
  const client = new EngineClient({ enginePath });
  const workers: Workers = { client, thread: ThreadEngine.start(CACHE), floor: FloorClient.start(CACHE), hostGc: new GcWatch() };
  const rows: BenchRow[] = [];
  try {
    for (const name of options.models) rows.push(...await benchModelRows(name, options, workers));
  } finally {
    client.dispose();
    await workers.thread.dispose();
    await workers.floor.dispose();
    workers.hostGc.dispose();
  }
  // `--json` keeps to its one array of pipeline rows; `--startup --json` gives the startup figures.
  const startup = options.json ? undefined : await startupFigures(STARTUP_RUNS, log);
  const wallSeconds = (performance.now() - start) / 1000;

  if (options.json) {
    process.stdout.write(`${toJson(rows)}\n`);
    log(`bench: ${wallSeconds.toFixed(1)} s wall time`);
  } else {
    console.log(formatTable(rows));
    console.log(`\nmedians of N=${options.runs} runs after ${warmupText(options)}; CPU provider; ` +
      `${wallSeconds.toFixed(1)} s wall time; ${cpus} CPUs, 1-min load average ${loadBefore.toFixed(2)} before`);
    console.log(`\nthe host thread's longest block during an inspection (engine process) against its idle baseline ` +
      `(its longest block while the raw graph runs for as long as an inspection takes, the host doing nothing; ` +
      `also during one raw run, the shorter window used before); target: no more than ${HOST_BLOCK_MARGIN_MS} ms over it. ` +
      `"Not shared": each block less the time a sentinel process, which only watches its own event loop, was held too ` +
      `(a stall of the whole machine):\n${formatHostBlock(rows)}`);
    console.log(`\nwhere the pipeline's time goes (engine-process timings, medians):\n${formatBreakdown(rows)}`);
    if (startup) console.log(`\nstartup:\n${formatStartup(startup)}`);
    await printBoundary(options);
  }
}

async function printBoundary(options: BenchOptions): Promise<void> {
  log(`bench: the process boundary alone, N=${options.runs}`);
  const rows = await boundaryRows(options.tokens, CACHE, { rounds: options.warmup, ms: options.warmupMs }, options.runs);
  console.log(`\nthe process boundary alone: 12 layers of [12, T, T] float32 streamed to the host thread, ` +
    `medians of N=${options.runs}; 1-min load average ${loadavg()[0].toFixed(2)}:\n${formatBoundary(rows)}`);
}

main().catch((err: unknown) => {
  if (err instanceof UsageError) {
    log(err.message);
    process.exitCode = err.isHelp ? 0 : 2;
    return;
  }
  log(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exitCode = 1;
});
