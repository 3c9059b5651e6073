// `npm run bench -- --stages [--long] [--runs N]`: what running the graph in per-layer stages costs
// and gains, on BERT-base-shaped weights (the synthetic ONNX export) and the Qwen2.5-0.5B-shaped
// checkpoint of the loading bench (24 layers, 14 heads, 2 KV heads, hidden 896), at T = 128 and 512
// (and 2048 with --long, where the model's positions allow). Staged and uncut runs each run in a
// process of their own (scripts/bench/stagesProbe.ts), so each peak RSS is its own; medians of N runs:
//   firstLayerMs   until layer 0's attention is in hand (target: totalMs / layers + 30 ms);
//   stagedMs       until the last layer's is, run stage by stage;
//   uncutMs        the whole surgered graph in one session;
//   ratio          stagedMs / uncutMs (target ≤ 1.10);
//   CPU ratio      the same in the processes' CPU time (all threads), which other work on a shared
//                  machine disturbs far less than wall time: staged and uncut run one after the
//                  other, and a busy neighbour during one of them moves the wall-time ratio alone.
import { execFile } from 'node:child_process';
import { loadavg } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { engineAllocatorEnv } from '../../src/engine/engineMemory';
import { SYNTHETIC_BERT, ensureSyntheticBert } from '../synthetic-bert';
import { syntheticLlamaFolder } from '../syntheticCheckpoint';
import { QWEN25_05B } from './loading';
import { CACHE, REPO_ROOT } from './models';
import { median } from './stats';

const run = promisify(execFile);
const PROBE = path.join(__dirname, 'stagesProbe.ts');
const TARGET_RATIO = 1.1;
const FIRST_LAYER_MARGIN_MS = 30;

interface ProbeRow {
  tokens: number;
  firstMs: number[];
  totalMs: number[];
  cpuMs: number[];
}

interface Probe {
  loadMs: number;
  peakRssBytes: number;
  rows: ProbeRow[];
}

async function probe(mode: 'staged' | 'uncut', dir: string, runs: number, tokens: number[]): Promise<Probe> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', PROBE, mode, dir, path.join(CACHE, 'stages'), String(runs), ...tokens.map(String)],
    // The probes run with the engine process's allocator settings, as the extension's engine does.
    { maxBuffer: 1 << 20, env: { ...process.env, ...engineAllocatorEnv() } });
  return JSON.parse(stdout.trim().split('\n').pop()!) as Probe;
}

const ms = (v: number): string => `${v.toFixed(v < 100 ? 1 : 0)} ms`;
const gb = (bytes: number): string => `${(bytes / 1e9).toFixed(2)} GB`;

/** Runs the staged and uncut probes of each model and prints their table. */
export async function stagesBench(runs: number, long: boolean, log: (line: string) => void): Promise<void> {
  const tokenizer = path.resolve(REPO_ROOT, '..', 'shared', 'models', 'tinystories-656k');
  const models = [
    { name: SYNTHETIC_BERT.name, dir: ensureSyntheticBert(CACHE, log), layers: 12, maxTokens: 512 },
    { name: 'qwen2.5-0.5b-random', dir: syntheticLlamaFolder(path.join(CACHE, 'qwen2.5-0.5b-random'), QWEN25_05B, 'BF16', tokenizer), layers: 24, maxTokens: Infinity },
  ];
  const lengths = long ? [128, 512, 2048] : [128, 512];
  const lines = [
    '| model | T | firstLayerMs | target | stagedMs | uncutMs | ratio | CPU staged / uncut | peak RSS staged | peak RSS uncut | load staged | load uncut |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  const loadBefore = loadavg()[0];
  for (const model of models) {
    const tokens = lengths.filter((T) => T <= model.maxTokens);
    log(`stages bench: ${model.name}, staged (T = ${tokens.join(', ')}, ${runs} runs each)`);
    const staged = await probe('staged', model.dir, runs, tokens);
    log(`stages bench: ${model.name}, uncut`);
    const uncut = await probe('uncut', model.dir, runs, tokens);
    staged.rows.forEach((row, i) => {
      const first = median(row.firstMs);
      const total = median(row.totalMs);
      const whole = median(uncut.rows[i].totalMs);
      const target = total / model.layers + FIRST_LAYER_MARGIN_MS;
      const ratio = total / whole;
      const cpu = [median(row.cpuMs), median(uncut.rows[i].cpuMs)];
      lines.push(`| ${model.name} | ${row.tokens} | ${ms(first)} | ${ms(target)} ${first <= target ? '✔' : '✘'} | ${ms(total)} | ${ms(whole)} | ` +
        `${ratio.toFixed(2)} ${ratio <= TARGET_RATIO ? '✔' : '✘'} | ${ms(cpu[0])} / ${ms(cpu[1])} (${(cpu[0] / cpu[1]).toFixed(2)}) | ` +
        `${gb(staged.peakRssBytes)} | ${gb(uncut.peakRssBytes)} | ` +
        `${(staged.loadMs / 1000).toFixed(1)} s | ${(uncut.loadMs / 1000).toFixed(1)} s |`);
    });
  }
  console.log(lines.join('\n'));
  console.log(`\nmedians of ${runs} runs after one untimed run per T; CPU provider; 1-min load average ${loadBefore.toFixed(2)} before, ` +
    `${loadavg()[0].toFixed(2)} after. Peak RSS covers loading and every T of the process.`);
}
