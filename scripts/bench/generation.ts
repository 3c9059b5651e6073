// `npm run bench -- --generate [--long] [--models a,b] [--tokens 128,512] [--runs N]`: what watching
// a model write costs. Rows: the causal fixtures (prompts of 128 and ~440 tokens, within their 512
// positions) and the Qwen2.5-0.5B-shaped random-weights checkpoint (--tokens, default 128 and 512;
// --long adds 2048, minutes per run).
// Each row runs two series, each in a process of its own with the engine's allocator settings and
// untimed runs first (at least one, and --warmup-ms of them), and reports medians over the timed runs:
//   generate()   the pipeline's generate() in its process, with the plain decode in lockstep (each
//                token of ours timed next to the plain decoder feeding the same token);
//   engine       the engine process through the host's EngineClient, as the extension runs it, from
//                the request to each 'step' event on this thread (the store holding every row), each
//                run followed by a plain decode of the same tokens;
//   plain        a KV-cache decode of the same graph in a session of its own, fetching only the last
//                position's logits and the cache, with an argmax per token and the text it adds
//                decoded as generate() decodes it: the same work in the model and the same text
//                written, no attention, candidates or store;
// per series: ms per new token (generate(): the median gap between consecutive tokens, against the
// median plain run beside them; engine: the median over spans of 4 tokens, the host reading queued
// events together, and the plain decode's alike; the prompt's run stays out of both), the median of
// each run's ratio to its own plain decode (target ≤ 1.2) with their range,
// and the time to the first token: from the call (generate()) or the request (engine: what puts the
// ghost text on screen) to the first token's arrival, against the plain decode tokenizing and running
// the prompt.
import { fork, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import * as path from 'node:path';
import { engineAllocatorEnv } from '../../src/engine/engineMemory';
import { resolveModelFolder } from '../../src/engine/modelFolder';
import { LONG_ROW_FROM, runsAt, type BenchOptions } from './args';
import type { Timing } from './generationRuns';
import type { SeriesRequest, SeriesResult } from './generationSeries';
import { inputOfLength, loadTokenizer } from './inputText';
import { CACHE, QWEN_RANDOM, REPO_ROOT, qwenRandomFolder } from './models';
import { MemoryGuard } from './processMemory';
import { median } from './stats';

const FIXTURES = path.resolve(REPO_ROOT, '..', 'shared', 'models');
const NEW_TOKENS = 32;
const TARGET_RATIO = 1.2;
// Prompts are whole sentences, up to this many tokens past the length asked for, and then an
// unfinished one (a story model would otherwise often end the text at once): the longest fixture
// prompt still leaves room within their 512 positions for every new token.
const SENTENCE_MARGIN = 40;
const UNFINISHED = ' One day, Lily saw a';
const FIXTURE_PROMPTS = [128, 512 - NEW_TOKENS - SENTENCE_MARGIN];
/** The Qwen shape's rows take seconds per run: at most this many timed runs (and 3 past 1024 tokens, minutes each). */
const SHAPE_RUNS = 5;
/**
 * The bench's processes together stay below this (as the scale bench's: at 2048 tokens of the Qwen
 * shape the engine holds the model twice and 3 GB of rows, the plain decoder's process 5 GB during
 * its prompt's run), and the machine keeps this much free.
 */
const OWN_LIMIT_BYTES = 19e9;
const MIN_AVAILABLE_BYTES = 1.5e9;

interface BenchModel {
  /** Its name in --models. */
  key: string;
  name: string;
  location: () => string;
  /** Prompt lengths, and the timed runs at each. */
  prompts: { T: number; runs: number }[];
}

interface Row {
  model: string;
  prompt: number;
  steps: number;
  /** Absent past LONG_ROW_FROM tokens (see modelRows). */
  bare?: SeriesResult;
  engine: SeriesResult;
}

/** A fixture's checkpoint alone (no onnx/), so the engine builds its graph, KV cache included. */
function checkpointFolder(fixture: string): string {
  const dir = path.join(CACHE, 'generate', `${fixture}-checkpoint`);
  mkdirSync(dir, { recursive: true });
  for (const file of ['config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json']) {
    if (!existsSync(path.join(dir, file))) copyFileSync(path.join(FIXTURES, fixture, file), path.join(dir, file));
  }
  return dir;
}

function benchModels(options: BenchOptions, log: (line: string) => void): BenchModel[] {
  const fixture = FIXTURE_PROMPTS.map((T) => ({ T, runs: options.runs }));
  const shape = options.tokens.map((T) => ({ T, runs: Math.min(runsAt(options, T), SHAPE_RUNS) }));
  const all: BenchModel[] = [
    { key: 'tinystories-656k', name: 'tinystories-656k (model_with_past.onnx)', location: () => path.join(FIXTURES, 'tinystories-656k', 'onnx', 'model_with_past.onnx'), prompts: fixture },
    { key: 'tinystories-656k', name: 'tinystories-656k (checkpoint)', location: () => checkpointFolder('tinystories-656k'), prompts: fixture },
    { key: 'stories260k', name: 'stories260k (checkpoint)', location: () => checkpointFolder('stories260k'), prompts: fixture },
    { key: QWEN_RANDOM, name: `${QWEN_RANDOM} (checkpoint)`, location: () => qwenRandomFolder(log), prompts: shape },
  ];
  return all.filter((m) => options.models.includes(m.key));
}

/** Runs every row and prints the table. */
export async function generationBench(options: BenchOptions, log: (line: string) => void): Promise<void> {
  const enginePath = path.join(REPO_ROOT, 'dist', 'engine.js');
  if (!existsSync(enginePath)) throw new Error(`${enginePath} is missing: run \`npm run build\` first (npm run bench does).`);
  const guard = new MemoryGuard({ ownBytes: OWN_LIMIT_BYTES, minAvailableBytes: MIN_AVAILABLE_BYTES }, (why) => {
    log(`generate bench: stopping: ${why}`);
    running?.kill(); // its engine exits with its channel
    process.exit(3);
  });
  const loadBefore = loadavg()[0];
  const rows: Row[] = [];
  try {
    for (const model of benchModels(options, log)) {
      const done = await modelRows(model, enginePath, options.warmupMs);
      // Each model's rows as they are done, so a run stopped later keeps what it measured.
      log(formatRows(done).split('\n').slice(2).join('\n'));
      rows.push(...done);
    }
  } finally {
    guard.dispose();
  }
  console.log(formatRows(rows));
  console.log(`\nmedians of the timed runs (fixtures ${options.runs}, ${QWEN_RANDOM} ${Math.min(options.runs, SHAPE_RUNS)}, ` +
    `${runsAt(options, LONG_ROW_FROM + 1)} past ${LONG_ROW_FROM} tokens) after untimed runs (at least one, and ${(options.warmupMs / 1000).toFixed(1)} s); ` +
    `ratios are the median of each run's against its own plain decode; CPU provider; ${NEW_TOKENS} new tokens ` +
    'at most (fewer when the model ends its text); prompts are whole sentences of at least T tokens and an unfinished one; ' +
    `ratio ranges are the per-run ratios' min–max; 1-min load average ${loadBefore.toFixed(2)} before, ${loadavg()[0].toFixed(2)} after.`);
}

// Per model: the generate() series of every prompt, then the engine series, each in a process of its
// own. Past LONG_ROW_FROM tokens only the engine series runs: generate() in process holds the model's
// sessions twice (the inspection's stages and the decoder: 4.4 GB for the Qwen shape) beside the
// plain decoder's and the prompt's rows, and its process reached 16 GB at 2048 tokens.
async function modelRows(model: BenchModel, enginePath: string, warmupMs: number): Promise<Row[]> {
  const location = model.location();
  const tokenizer = loadTokenizer(resolveModelFolder(location).dir);
  const prompts = model.prompts.map(({ T, runs }) => ({ text: inputOfLength(tokenizer, T).text + UNFINISHED, runs }));
  const request = { name: model.name, location, newTokens: NEW_TOKENS, cacheDir: CACHE, enginePath, warmupMs };
  const short = prompts.filter((_, i) => model.prompts[i].T <= LONG_ROW_FROM);
  const bare = short.length > 0 ? await runSeries({ ...request, prompts: short, kind: 'bare' }) : [];
  const engine = await runSeries({ ...request, prompts, kind: 'engine' });
  let next = 0;
  return model.prompts.map(({ T }, i) => ({
    model: model.name, prompt: T, steps: engine[i].steps, bare: T <= LONG_ROW_FROM ? bare[next++] : undefined, engine: engine[i],
  }));
}

// generate() must allocate as it does in the engine process, whose C allocator keeps freed blocks of
// up to 32 MB for reuse (src/engine/engineMemory.ts): with glibc's defaults, and a collected heap
// before each run, fetching a 455-token prompt's attention took 110 ms instead of 17 (fresh mmaps
// and their page faults), next to 15 for the plain run. The plain decode runs with the same settings.
// The series process running now, which the memory guard ends before it ends the bench.
let running: ChildProcess | undefined;

function runSeries(request: SeriesRequest): Promise<SeriesResult[]> {
  const child = fork(path.join(__dirname, 'generationSeries.ts'), [JSON.stringify(request)], {
    env: { ...process.env, ...engineAllocatorEnv() }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  running = child;
  return new Promise((resolve, reject) => {
    let results: SeriesResult[] | undefined;
    child.on('message', (message) => { results = message as SeriesResult[]; });
    child.on('exit', (code) => (results ? resolve(results) : reject(new Error(`the ${request.kind} series of ${request.name} exited with ${code}`))));
  });
}

function formatRows(rows: Row[]): string {
  const lines = [
    '| model | prompt T | new tokens | generate() ms/token | plain | ratio (runs) | engine ms/token | plain | ratio (runs) | ' +
      'first token: generate() ms | engine ms | plain ms | load |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const row of rows) {
    const of = (xs: Timing[], key: keyof Timing): number => median(xs.map((x) => x[key]));
    const cells = (s: SeriesResult | undefined): string => {
      if (!s) return '— | — | —';
      // Each run is paired with its own plain decode: the median of the pairs' ratios.
      const each = s.ours.map((x, i) => x.tokenMs / s.plain[i].tokenMs);
      const ratio = median(each);
      return `${ms(of(s.ours, 'tokenMs'))} | ${ms(of(s.plain, 'tokenMs'))} | ${ratio.toFixed(2)} ${ratio <= TARGET_RATIO ? '✔' : '✘'} ` +
        `(${Math.min(...each).toFixed(2)}–${Math.max(...each).toFixed(2)})`;
    };
    const plainFirst = median([...row.bare?.plain ?? [], ...row.engine.plain].map((x) => x.firstMs));
    const load = [...row.bare?.load ?? [], ...row.engine.load];
    lines.push(`| ${row.model} | ${row.prompt}+ | ${row.steps} | ${cells(row.bare)} | ${cells(row.engine)} | ` +
      `${row.bare ? ms(of(row.bare.ours, 'firstMs')) : '—'} | ${ms(of(row.engine.ours, 'firstMs'))} | ${ms(plainFirst)} | ` +
      `${Math.min(...load).toFixed(1)}–${Math.max(...load).toFixed(1)} |`);
  }
  return lines.join('\n');
}

// Two decimals below 10 ms, one below 1000, none above.
function ms(x: number): string {
  return x.toFixed(x < 10 ? 2 : x < 1000 ? 1 : 0);
}
