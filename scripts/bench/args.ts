// Command-line options of `npm run bench`.

/** A command line the bench cannot follow; its message is the whole story (no stack trace). */
export class UsageError extends Error {
  constructor(message: string, readonly isHelp = false) {
    super(message);
  }
}

/** Everything `npm run bench -- …` can be told. */
export interface BenchOptions {
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
}

export const ALL_MODELS = ['tinystories-656k', 'stories260k', 'bert-tiny-random', 'synthetic-bert-base'];
export const ALL_TOKENS = [32, 128, 512];
// Chosen so the full bench (4 models × 3 lengths × 3 measurements) takes one to two minutes on an
// idle 2-core machine, most of it synthetic-bert-base at T=512 (~0.5 s per run), while the medians of
// the millisecond-scale fixture rows stay stable to a few tenths of a millisecond. Odd, so the
// median is one measured run.
const DEFAULT_RUNS = 21;
const DEFAULT_WARMUP = 3;
const DEFAULT_WARMUP_MS = 2000;

const USAGE = `usage: npm run bench -- [--json] [--models a,b] [--tokens 32,128] [--runs N] [--warmup N] [--warmup-ms MS]
  models: ${ALL_MODELS.join(', ')}`;

/** Parses argv (without node and the script); throws with the usage text on anything unknown. */
export function parseArgs(argv: string[]): BenchOptions {
  const options: BenchOptions = {
    json: false, models: ALL_MODELS, tokens: ALL_TOKENS, runs: DEFAULT_RUNS, warmup: DEFAULT_WARMUP, warmupMs: DEFAULT_WARMUP_MS,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new UsageError(`${flag} needs a value\n${USAGE}`);
      return v;
    };
    switch (flag) {
      case '--json': options.json = true; break;
      case '--models': options.models = list(value()); break;
      case '--tokens': options.tokens = list(value()).map((t) => positive(t, flag)); break;
      case '--runs': options.runs = positive(value(), flag); break;
      case '--warmup': options.warmup = positive(value(), flag, 0); break;
      case '--warmup-ms': options.warmupMs = positive(value(), flag, 0); break;
      case '--help': case '-h': throw new UsageError(USAGE, true);
      default: throw new UsageError(`unknown option ${arg}\n${USAGE}`);
    }
  }
  const unknown = options.models.filter((m) => !ALL_MODELS.includes(m));
  if (unknown.length > 0) throw new UsageError(`unknown model ${unknown.join(', ')}\n${USAGE}`);
  return options;
}

function list(value: string): string[] {
  return value.split(',').map((s) => s.trim()).filter(Boolean);
}

function positive(value: string, flag: string, min = 1): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${flag} expects an integer ≥ ${min}, got "${value}"\n${USAGE}`);
  return n;
}
