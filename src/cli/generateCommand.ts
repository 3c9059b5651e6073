// `attention-lens generate`: continue a text with a causal model, print what it wrote and what each
// new token attended to, and optionally write the whole sequence's report.
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { PRECISION_CHOICES, PROVIDERS, type LoadStage, type PrecisionChoice, type Provider } from '../protocol';
import { DEFAULT_MAX_NEW_TOKENS } from '../engine/generation/generate';
import { generatedTokens, sequenceAttention, sequenceTokens } from '../engine/generation/sequence';
import { Pipeline, type GenerateRequest } from '../engine/pipeline';
import { writeReport } from '../report/writeReport';
import { summarizeGeneration } from './generationSummary';
import { UsageError } from './usage';

export const GENERATE_USAGE = `Usage: attention-lens generate [--model DIR|OWNER/NAME[@REV]] --text TEXT [--max-new-tokens N (default ${DEFAULT_MAX_NEW_TOKENS})]
                               [--temperature X [--top-p P] [--seed S]] [--out report.json|attention.safetensors]
                               [--provider ${PROVIDERS.join('|')}] [--precision ${PRECISION_CHOICES.join('|')}] [--cache-dir DIR] [--quiet]

Continues the text with a causal language model (GPT-2, Llama and the like), greedily unless
--temperature is above 0 (then sampled, within the top-p nucleus, from --seed or a seed it prints),
until the model's end-of-sequence token or N new tokens. Prints the continuation and, per new token,
its probability and the 3 earlier tokens it attends to most in the last layer (mean over heads;
itself and special tokens left out). --out writes the attention-lens/v1 report of the whole sequence,
prompt and continuation, with each new token under "generated" (its range and top 5 candidates).`;

/** Where the model named by --model lies once found (or downloaded). */
export type LocateModel = (value: string | undefined, options: { quiet: boolean; precision: PrecisionChoice; cacheDir?: string }) => Promise<string>;

/** Runs `generate` with its arguments (after the command name). */
export async function generateCommand(args: string[], locate: LocateModel, cacheRoot: string): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      model: { type: 'string' },
      text: { type: 'string' },
      'max-new-tokens': { type: 'string' },
      temperature: { type: 'string' },
      'top-p': { type: 'string' },
      seed: { type: 'string' },
      out: { type: 'string', multiple: true },
      provider: { type: 'string', default: 'auto' },
      precision: { type: 'string', default: 'auto' },
      'cache-dir': { type: 'string' },
      quiet: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.text === undefined) throw new UsageError('generate needs --text');
  const provider = values.provider as Provider;
  if (!PROVIDERS.includes(provider)) throw new UsageError(`--provider must be one of ${PROVIDERS.join(', ')}`);
  const precision = values.precision as PrecisionChoice;
  if (!PRECISION_CHOICES.includes(precision)) throw new UsageError(`--precision must be one of ${PRECISION_CHOICES.join(', ')}`);
  const quiet = values.quiet ?? false;
  const folder = await locate(values.model, { quiet, precision, cacheDir: values['cache-dir'] });
  const request: GenerateRequest = { model: folder, text: values.text, provider, precision, cacheDir: cacheRoot, ...sampling(values) };

  const stages: Record<LoadStage, string> = { reading: 'reading the model files', building: 'building the graph from safetensors', optimising: 'onnxruntime is loading and optimising the graph' };
  const pipeline = new Pipeline();
  const run = await pipeline.generate(request, undefined, undefined, {
    onProgress: (stage) => { if (!quiet) console.error(`Loading: ${stages[stage]}`); },
  }).finally(() => pipeline.dispose());
  const { generation, model, timings } = run;
  const outs = values.out ?? [];
  for (const out of outs) {
    await writeReport(out, {
      model, text: generation.text, tokens: sequenceTokens(generation), layers: sequenceAttention(generation),
      generated: generatedTokens(generation), timings,
    });
  }
  console.log(summarizeGeneration(generation));
  if (!quiet) {
    const perToken = generation.steps.length ? timings.runMs / generation.steps.length : 0;
    console.log(`Timings   load ${timings.loadMs.toFixed(0)} ms, run ${timings.runMs.toFixed(1)} ms (${perToken.toFixed(1)} ms per new token)`);
    for (const out of outs) console.log(`Report written to ${path.resolve(out)}`);
  }
}

// --max-new-tokens, --temperature, --top-p and --seed, checked.
function sampling(values: Record<string, string | boolean | string[] | undefined>): Omit<GenerateRequest, 'model' | 'text'> {
  const number = (name: string, ok: (x: number) => boolean, what: string): number | undefined => {
    const raw = values[name];
    if (raw === undefined) return undefined;
    const x = Number(raw);
    if (!ok(x)) throw new UsageError(`--${name} must be ${what}`);
    return x;
  };
  const maxNewTokens = number('max-new-tokens', (x) => Number.isInteger(x) && x >= 1, 'a positive integer');
  const temperature = number('temperature', (x) => Number.isFinite(x) && x >= 0, 'a number ≥ 0 (0 for greedy)');
  const topP = number('top-p', (x) => x > 0 && x <= 1, 'in (0, 1]');
  const seed = number('seed', (x) => Number.isInteger(x) && x >= 0 && x < 2 ** 32, 'an integer from 0 to 4294967295');
  if ((topP !== undefined || seed !== undefined) && !(temperature && temperature > 0)) {
    throw new UsageError('--top-p and --seed apply to sampling: give --temperature above 0 as well');
  }
  return { maxNewTokens, temperature, topP, seed };
}
