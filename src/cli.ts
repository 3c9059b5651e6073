// attention-lens: the engine on the command line, no VS Code needed.
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import {
  PRECISION_CHOICES, PROVIDERS, type InspectionStarted, type LoadStage, type PrecisionChoice, type Provider, type TextWindow,
} from './protocol';
import { Pipeline } from './engine/pipeline';
import { EngineError } from './engine/errors';
import { GENERATE_USAGE, generateCommand, type LocateModel } from './cli/generateCommand';
import { parseRange, sliceRange } from './cli/range';
import { summarize } from './cli/summary';
import { HTML_PRECISIONS, reportHtml, type HtmlPrecision } from './report/html';
import { TENSOR_PRECISIONS, type TensorPrecision } from './report/safetensors';
import { isSafetensorsFile, writeReport } from './report/writeReport';
import { defaultCacheRoot, locateForCli } from './cli/modelSource';
import { ModelSourceError } from './models/errors';
import { bundledModelFolder } from './models/modelReference';
import { UsageError } from './cli/usage';

const USAGE = `Usage: attention-lens inspect [--model DIR|OWNER/NAME[@REV]] (--text TEXT | --file PATH [--range L:C-L:C])
                              [--out report.json|attention.safetensors [--out-precision float32|float16]]
                              [--html report.html [--html-precision float32|float16|uint8]]
                              [--provider ${PROVIDERS.join('|')}] [--precision ${PRECISION_CHOICES.join('|')}]
                              [--max-tokens N] [--window N] [--cache-dir DIR] [--quiet]

Runs a transformer on the text and prints its tokens, layer and head counts and the strongest
attention links. --out writes the full report (format attention-lens/v1): JSON, or safetensors
(one [heads, T, T] tensor per layer, float32 or with --out-precision float16) when the name ends in
.safetensors; give --out more than once for several files. --html writes one
self-contained page with the token strip, matrix, head and model views (no network needed); its
attention is float32 for small inputs, else float16 or uint8 unless --html-precision says otherwise.

--model is a model folder (Hugging Face layout) or a Hugging Face id, downloaded once from
HF_ENDPOINT (default https://huggingface.co; HF_TOKEN for gated models) into the cache. An existing
folder wins over an id of the same spelling. Without --model: ATTENTION_LENS_MODEL, else the bundled
default model. --precision picks among a folder's variant graphs (model.onnx, model_fp16.onnx,
model_quantized.onnx, model_q4.onnx, ...); auto takes fp32 when it fits memory comfortably, else the
smallest. Downloads use the Hugging Face cache that Python's huggingface_hub shares: --cache-dir,
else $HF_HUB_CACHE, $HF_HOME/hub or ~/.cache/huggingface/hub (a model Python downloaded there opens
without a second copy; HF_HUB_OFFLINE=1 forbids any download). Graphs built from safetensors go to
$XDG_CACHE_HOME/attention-lens or ~/.cache/attention-lens.

A text longer than the model reads at once (its context: max_position_embeddings or the like in
config.json, at most 4096 tokens on CPU and fewer for large models, 8192 on a GPU) is inspected in
overlapping windows of that many tokens, a quarter of a window apart from the next's end; window 1
runs unless --window N names another, and the tokens of every window keep their offsets in the
whole text. --max-tokens N sets the window size (never past the context); given without --window it
cuts the text to its first N tokens instead, with a warning, as a single inspection.

${GENERATE_USAGE}`;

/** The views bundled for a page of their own (webview/standalone.ts), built beside this file. */
function readHtmlBundle(): string {
  const file = path.join(__dirname, 'standalone.js');
  try {
    return readFileSync(file, 'utf8');
  } catch {
    throw new Error(`--html needs ${file}; run the build (npm run build) first`);
  }
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    console.log(USAGE);
    return;
  }
  if (command === 'generate') return generateCommand(rest, locate, defaultCacheRoot());
  if (command !== 'inspect') throw new UsageError(`unknown command "${command}"`);
  const { values } = parseArgs({
    args: rest,
    options: {
      model: { type: 'string' },
      text: { type: 'string' },
      file: { type: 'string' },
      range: { type: 'string' },
      out: { type: 'string', multiple: true },
      'out-precision': { type: 'string' },
      html: { type: 'string' },
      'html-precision': { type: 'string' },
      provider: { type: 'string', default: 'auto' },
      precision: { type: 'string', default: 'auto' },
      'max-tokens': { type: 'string' },
      window: { type: 'string' },
      'cache-dir': { type: 'string' },
      quiet: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if ((values.text === undefined) === (values.file === undefined)) throw new UsageError('give exactly one of --text or --file');
  if (values.range && !values.file) throw new UsageError('--range needs --file');
  const provider = values.provider as Provider;
  if (!PROVIDERS.includes(provider)) throw new UsageError(`--provider must be one of ${PROVIDERS.join(', ')}`);
  const precision = values.precision as PrecisionChoice;
  if (!PRECISION_CHOICES.includes(precision)) throw new UsageError(`--precision must be one of ${PRECISION_CHOICES.join(', ')}`);
  const htmlPrecision = values['html-precision'] as HtmlPrecision | undefined;
  if (htmlPrecision !== undefined && !HTML_PRECISIONS.includes(htmlPrecision)) throw new UsageError(`--html-precision must be one of ${HTML_PRECISIONS.join(', ')}`);
  if (htmlPrecision !== undefined && !values.html) throw new UsageError('--html-precision needs --html');
  const outs = values.out ?? [];
  const outPrecision = values['out-precision'] as TensorPrecision | undefined;
  if (outPrecision !== undefined && !TENSOR_PRECISIONS.includes(outPrecision)) throw new UsageError(`--out-precision must be one of ${TENSOR_PRECISIONS.join(', ')}`);
  if (outPrecision !== undefined && !outs.some(isSafetensorsFile)) throw new UsageError('--out-precision needs an --out file ending in .safetensors');
  // Read before the model runs, so a missing bundle fails fast.
  const bundle = values.html ? readHtmlBundle() : undefined;
  const maxTokens = values['max-tokens'] === undefined ? undefined : Number(values['max-tokens']);
  if (maxTokens !== undefined && (!Number.isInteger(maxTokens) || maxTokens < 1)) throw new UsageError('--max-tokens must be a positive integer');
  const windowNumber = values.window === undefined ? undefined : Number(values.window);
  if (windowNumber !== undefined && (!Number.isInteger(windowNumber) || windowNumber < 1)) throw new UsageError('--window must be a positive integer (1 for the first window)');
  // An explicit --max-tokens alone asks for a cut, not windows.
  const windowIndex = windowNumber !== undefined ? windowNumber - 1 : maxTokens === undefined ? 0 : undefined;

  let text: string;
  if (values.file !== undefined) {
    try {
      text = readFileSync(values.file, 'utf8');
    } catch {
      throw new UsageError(`cannot read ${values.file}`);
    }
    if (values.range) text = sliceRange(text, parseRange(values.range));
  } else {
    text = values.text!;
  }

  const cacheRoot = defaultCacheRoot();
  const folder = await locate(values.model, { quiet: values.quiet ?? false, precision, cacheDir: values['cache-dir'] });

  const stages: Record<LoadStage, string> = { reading: 'reading the model files', building: 'building the graph from safetensors', optimising: 'onnxruntime is loading and optimising the graph' };
  const pipeline = new Pipeline();
  const layers: Float32Array[] = [];
  let started: InspectionStarted | undefined;
  const { timings } = await pipeline.inspect({ model: folder, text, provider, precision, maxTokens, window: windowIndex, cacheDir: cacheRoot }, {
    onProgress: (stage) => { if (!values.quiet) console.error(`Loading: ${stages[stage]}`); },
    onStarted: (s) => { started = s; },
    onLayer: (l) => { layers[l.layer] = new Float32Array(l.data); },
    // How the model runs is not a warning about the report: shown only when progress is.
    onLog: (message) => { if (!values.quiet) console.error(`note: ${message}`); },
  }).finally(() => pipeline.dispose());
  const { tokens } = started!;
  // A report of one window says so, in the page and the JSON, as it would say the text was cut.
  const window = started!.window && started!.window.count > 1 ? started!.window : undefined;
  const warnings = window ? [...started!.warnings, windowWarning(window, tokens.length)] : started!.warnings;
  const info = { ...started!.model, provider: started!.provider };
  const report = { format: 'attention-lens/v1' as const, model: info, text, tokens, warnings, timings };

  for (const out of outs) await writeReport(out, { ...report, layers }, outPrecision);
  let htmlNote = '';
  if (values.html && bundle !== undefined) {
    const page = reportHtml({ model: info, text, tokens, layers, warnings }, bundle, htmlPrecision);
    writeFileSync(values.html, page.html);
    const stored = page.precision === 'float32' ? 'float32' : `${page.precision}, error ≤ ${page.maxError.toPrecision(2)}`;
    htmlNote = `Page written to ${path.resolve(values.html)} (attention as ${stored})`;
  }
  for (const w of started!.warnings) console.error(`warning: ${w}`);
  if (window) console.error(`note: ${windowWarning(window, tokens.length)} --window N inspects another.`);
  if (!values.quiet) {
    console.log(summarize(report, layers));
    if (outs.length) console.log('');
    for (const out of outs) console.log(`Report written to ${path.resolve(out)}`);
    if (htmlNote) console.log(`${outs.length ? '' : '\n'}${htmlNote}`);
  }
}

/** The folder --model names (else ATTENTION_LENS_MODEL, else the bundled default), downloaded first when it is a Hub id. */
const locate: LocateModel = async (model, options) => (await locateForCli(model ?? process.env.ATTENTION_LENS_MODEL ?? '', {
  cacheRoot: defaultCacheRoot(),
  hubCacheDir: options.cacheDir !== undefined ? path.resolve(options.cacheDir) : undefined,
  bundledDir: bundledModelFolder(path.resolve(__dirname, '..')),
  quiet: options.quiet,
  precision: options.precision,
})).folder;

/** Which window of a long text ran. */
function windowWarning(w: TextWindow, size: number): string {
  return `The text has ${w.textTokens} tokens, more than the model reads at once (${size}): this is window ${w.index + 1} of ${w.count} ` +
    `(text tokens ${w.firstToken + 1}–${w.endToken}, characters ${w.start}–${w.end}).`;
}

main(process.argv.slice(2)).catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    console.error(`attention-lens: ${message}\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  console.error(`attention-lens: ${message.split('\n')[0]}`);
  const detail = err instanceof EngineError || err instanceof ModelSourceError ? err.detail : undefined;
  if (process.env.ATTENTION_LENS_DEBUG && detail) console.error(detail);
  // 130 is what a shell reports for Ctrl+C, which is how a download gets cancelled here.
  process.exitCode = err instanceof ModelSourceError && err.code === 'cancelled' ? 130 : 1;
});
