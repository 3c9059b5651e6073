// Startup figures of `npm run bench` (alone with `--startup`): what activating the extension costs,
// and how long tokenising with offsets takes on a long text. These were once wall-clock budgets
// inside the tests; on a machine shared with other work such a budget measures the machine, so the
// tests check behaviour and the figures live here, measured on a quiet machine.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { buildSync } from 'esbuild';
import { TextTokenizer } from '../../src/engine/tokenizer';
import { CACHE, REPO_ROOT } from './models';
import { median } from './stats';

/** What `--startup` measures: medians over fresh processes, and over repeated encodes. */
export interface StartupFigures {
  activation: { runs: number; bundleLoadMs: number; bundleReloadMs: number; activateMs: number; engineLoaded: string[] };
  /** firstMs: the process's first encode of the text (V8 has not optimised the tokenizer yet); ms: the median of the next runs. */
  tokenizer: { model: string; characters: number; tokens: number; firstMs: number; ms: number }[];
}

const FIXTURES = path.resolve(REPO_ROOT, '..', 'shared', 'models');
const TOKENIZER_MODELS = ['tinystories-656k', 'stories260k', 'bert-tiny-random'];
/** Accents, quotes, CJK, emoji with a modifier, CRLF, tab, Arabic, a NUL: the awkward mixture the offset tests use. */
const UNIT = 'Once upon a time, Lily said: «¿Qué tal?» 注意力 👍🏽\r\n\tالانتباه 0x1F\0 ';
export const TOKENIZER_CHARACTERS = 100_000;

/**
 * Loads dist/extension.js and runs activate() in `runs` fresh Node processes (a cold start each, as a
 * new extension host has), against a stand-in `vscode` module. The probe is bundled first so that
 * no TypeScript loader sits between Node and the bundle being timed.
 */
function activationFigures(runs: number): StartupFigures['activation'] {
  const bundle = path.join(REPO_ROOT, 'dist', 'extension.js');
  if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run \`npm run build\` first (npm run bench does).`);
  const probe = path.join(CACHE, 'activationProbe.js');
  buildSync({ entryPoints: [path.join(__dirname, 'activationProbe.ts')], outfile: probe, bundle: true, platform: 'node', format: 'cjs', logLevel: 'warning' });
  const types = path.join(REPO_ROOT, 'node_modules', '@types', 'vscode', 'index.d.ts');
  const samples = Array.from({ length: runs }, () =>
    JSON.parse(execFileSync(process.execPath, [probe, bundle, types], { encoding: 'utf8' }).trim()) as
      { loadMs: number; reloadMs: number; activationMs: number; engineLoaded: string[] });
  return {
    runs,
    bundleLoadMs: median(samples.map((s) => s.loadMs)),
    bundleReloadMs: median(samples.map((s) => s.reloadMs)),
    activateMs: median(samples.map((s) => s.activationMs)),
    engineLoaded: [...new Set(samples.flatMap((s) => s.engineLoaded))],
  };
}

async function tokenizerFigures(runs: number): Promise<StartupFigures['tokenizer']> {
  const text = UNIT.repeat(Math.ceil(TOKENIZER_CHARACTERS / UNIT.length)).slice(0, TOKENIZER_CHARACTERS);
  const rows: StartupFigures['tokenizer'] = [];
  for (const model of TOKENIZER_MODELS) {
    const tokenizer = await TextTokenizer.fromFolder(path.join(FIXTURES, model));
    let tokens = 0;
    const times: number[] = [];
    for (let i = 0; i <= runs; i++) {
      const started = performance.now();
      tokens = tokenizer.encode(text).tokens.length;
      times.push(performance.now() - started);
    }
    rows.push({ model, characters: text.length, tokens, firstMs: times[0], ms: median(times.slice(1)) });
  }
  return rows;
}

/** Measures both; `runs` fresh processes for activation, and encodes per tokenizer. */
export async function startupFigures(runs: number, log: (line: string) => void): Promise<StartupFigures> {
  log(`startup: activating dist/extension.js in ${runs} fresh processes`);
  const activation = activationFigures(runs);
  log(`startup: tokenising ${TOKENIZER_CHARACTERS.toLocaleString('en')} characters ${runs + 1} times per tokenizer`);
  return { activation, tokenizer: await tokenizerFigures(runs) };
}

export function formatStartup({ activation, tokenizer }: StartupFigures): string {
  const lines = [
    `activation (medians of ${activation.runs} fresh processes): loading dist/extension.js ${activation.bundleLoadMs.toFixed(1)} ms ` +
      `(${activation.bundleReloadMs.toFixed(1)} ms loaded again in the same process), ` +
      `activate() ${activation.activateMs.toFixed(2)} ms; engine modules loaded: ${activation.engineLoaded.length ? activation.engineLoaded.join(', ') : 'none'}`,
    '',
    '| tokenizer | characters | tokens | first encode with offsets | later encodes (median) |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...tokenizer.map((r) => `| ${r.model} | ${r.characters.toLocaleString('en')} | ${r.tokens.toLocaleString('en')} | ` +
      `${r.firstMs.toFixed(0)} ms | ${r.ms.toFixed(0)} ms |`),
  ];
  return lines.join('\n');
}
