// Command-line options of `npm run bench`.
import { parseArgs as parseCommandLine } from 'node:util';

/** A command line the bench cannot follow; its message is the whole story (no stack trace). */
export class UsageError extends Error {
  constructor(message: string, readonly isHelp = false) {
    super(message);
  }
}

/** Everything `npm run bench -- …` can be told. */
export interface BenchOptions {
  /** What to measure: the pipeline rows and the startup figures (default), only the startup figures, loading, the boundary, stages, long inputs, or generation. */
  mode: 'pipeline' | 'startup' | 'loading' | 'boundary' | 'stages' | 'scale' | 'generate';
  /** Print one JSON array of rows on stdout and nothing else. */
  json: boolean;
  models: string[];
  tokens: number[];
  /** Timed runs per measurement; the median is reported. */
  runs: number;
  /** Untimed runs first, so one-off costs (allocator growth, lazy init, model load) stay out of medians. */
  warmup: number;
  /**
   * Warm-up goes on for at least this long as well (per model and T). The pipeline runs JavaScript
   * (the tokenizer, the messages), and V8 compiles it to optimised code only after it has run for a
   * while; on a 2-core machine that compilation runs beside the model's threads and slows the first
   * few dozen pipeline runs of a process. Fast rows need many rounds for that, slow rows few.
   */
  warmupMs: number;
  /** With --stages and --generate: T = 2048 as well; with --scale: the long rows (T = 2048 and 4096), which take minutes each. */
  long: boolean;
}

export const ALL_MODELS = ['tinystories-656k', 'stories260k', 'bert-tiny-random', 'synthetic-bert-base'];
export const ALL_TOKENS = [32, 128, 512];
/** `--scale` models: real shapes with random weights (synthetic-bert-base only to its 512 positions). */
export const SCALE_MODELS = ['qwen2.5-0.5b-random', 'synthetic-bert-base'];
export const SCALE_TOKENS = [128, 512];
/** `--generate` models: the causal fixtures and the Qwen2.5-0.5B shape (random weights). */
export const GENERATE_MODELS = ['tinystories-656k', 'stories260k', 'qwen2.5-0.5b-random'];
/** `--generate` prompt lengths of the Qwen shape (the fixtures' are fixed by their 512 positions); --long adds 2048. */
export const GENERATE_TOKENS = [128, 512];
const GENERATE_LONG_TOKENS = [2048];
export const LONG_TOKENS = [2048, 4096];
/** Past this T a scale row is "long": a run takes a minute or more, so it is repeated fewer times. */
export const LONG_ROW_FROM = 1024;
const LONG_ROW_RUNS = 3;
// Chosen so the full bench (4 models × 3 lengths × 3 measurements) takes one to two minutes on an
// idle 2-core machine, most of it synthetic-bert-base at T=512 (~0.5 s per run), while the medians of
// the millisecond-scale fixture rows stay stable to a few tenths of a millisecond. Odd, so the
// median is one measured run.
// Loading rows take a minute each round; a startup figure is a fresh process per run.
// Stage rows take seconds per run at T = 512 on the Qwen-shaped model, and so do scale rows; long
// scale rows take minutes (runsAt).
const DEFAULT_RUNS = { pipeline: 21, startup: 5, loading: 3, boundary: 21, stages: 5, scale: 5, generate: 7 } as const;
const DEFAULT_WARMUP = 3;
const DEFAULT_WARMUP_MS = 2000;

const USAGE = `usage: npm run bench -- [--json] [--models a,b] [--tokens 32,128] [--runs N] [--warmup N] [--warmup-ms MS]
       npm run bench -- --startup [--json] [--runs N]     (activation and tokenizer figures only)
       npm run bench -- --loading [--runs N]              (loading a Qwen2.5-0.5B-shaped checkpoint)
       npm run bench -- --boundary [--runs N]             (the engine process boundary alone, no model)
       npm run bench -- --stages [--long] [--runs N]      (per-layer stages against the uncut graph)
       npm run bench -- --generate [--long] [--models a,b] [--tokens 128,512] [--runs N]
                                                          (ms per new token against a plain KV-cache decode, in this
                                                          process and through the engine process, and the time to the
                                                          first token; --tokens are the Qwen2.5-0.5B shape's prompts,
                                                          --long adds T=2048 there, run at most ${LONG_ROW_RUNS} times)
       npm run bench -- --scale [--long] [--json] [--models a,b] [--tokens 128,512] [--runs N]
                                                          (long inputs on real shapes: first layer, memory of
                                                          each process, the views' bytes and draw times;
                                                          --long adds T=${LONG_TOKENS.join(', ')}, run at most ${LONG_ROW_RUNS} times each)
  models: ${ALL_MODELS.join(', ')}
  --scale models: ${SCALE_MODELS.join(', ')}
  --generate models: ${GENERATE_MODELS.join(', ')}`;

/** Parses argv (without node and the script); throws with the usage text on anything unknown. */
export function parseArgs(argv: string[]): BenchOptions {
  let values;
  try {
    ({ values } = parseCommandLine({
      args: argv,
      options: {
        json: { type: 'boolean', default: false },
        models: { type: 'string' },
        tokens: { type: 'string' },
        runs: { type: 'string' },
        warmup: { type: 'string' },
        'warmup-ms': { type: 'string' },
        startup: { type: 'boolean' },
        loading: { type: 'boolean' },
        boundary: { type: 'boolean' },
        stages: { type: 'boolean' },
        generate: { type: 'boolean' },
        scale: { type: 'boolean' },
        long: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n${USAGE}`);
  }
  if (values.help) throw new UsageError(USAGE, true);
  if ([values.startup, values.loading, values.boundary, values.stages, values.scale, values.generate].filter(Boolean).length > 1) {
    throw new UsageError(`--startup, --loading, --boundary, --stages, --scale and --generate are separate runs\n${USAGE}`);
  }
  const mode = values.loading ? 'loading' : values.startup ? 'startup' : values.boundary ? 'boundary'
    : values.stages ? 'stages' : values.scale ? 'scale' : values.generate ? 'generate' : 'pipeline';
  if (values.long && mode !== 'stages' && mode !== 'scale' && mode !== 'generate') throw new UsageError(`--long goes with --stages, --scale or --generate\n${USAGE}`);
  const scale = mode === 'scale';
  const defaultTokens = scale ? [...SCALE_TOKENS, ...(values.long ? LONG_TOKENS : [])]
    : mode === 'generate' ? [...GENERATE_TOKENS, ...(values.long ? GENERATE_LONG_TOKENS : [])] : ALL_TOKENS;
  const options: BenchOptions = {
    mode,
    json: values.json,
    long: values.long,
    models: values.models === undefined ? modelsOf(mode) : list(values.models),
    tokens: values.tokens === undefined ? defaultTokens : list(values.tokens).map((t) => positive(t, '--tokens')),
    runs: values.runs === undefined ? DEFAULT_RUNS[mode] : positive(values.runs, '--runs'),
    warmup: values.warmup === undefined ? DEFAULT_WARMUP : positive(values.warmup, '--warmup', 0),
    warmupMs: values['warmup-ms'] === undefined ? DEFAULT_WARMUP_MS : positive(values['warmup-ms'], '--warmup-ms', 0),
  };
  const known = modelsOf(mode);
  const unknown = options.models.filter((m) => !known.includes(m));
  if (unknown.length > 0) throw new UsageError(`unknown model ${unknown.join(', ')}${known !== ALL_MODELS ? ` for --${mode}` : ''}\n${USAGE}`);
  return options;
}

function modelsOf(mode: BenchOptions['mode']): string[] {
  return mode === 'scale' ? SCALE_MODELS : mode === 'generate' ? GENERATE_MODELS : ALL_MODELS;
}

/** Timed runs of a scale row at T tokens: long rows take minutes per run, so at most LONG_ROW_RUNS. */
export function runsAt(options: BenchOptions, T: number): number {
  return T > LONG_ROW_FROM ? Math.min(options.runs, LONG_ROW_RUNS) : options.runs;
}

function list(value: string): string[] {
  return value.split(',').map((s) => s.trim()).filter(Boolean);
}

function positive(value: string, flag: string, min = 1): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${flag} expects an integer ≥ ${min}, got "${value}"\n${USAGE}`);
  return n;
}
