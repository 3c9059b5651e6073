// `npm run bench -- --loading [--runs N]`: what loading a model costs next to reading its weights,
// on random weights with Qwen2.5-0.5B's real configuration (bf16 model.safetensors, 988 MB,
// generated once into .cache/bench/). Each measurement runs in a fresh process (scripts/bench/
// loadingProbe.ts) so its peak RSS is its own; medians over N runs, all from a warm page cache:
//   read      reading every weight file from disk;
//   build     AttentionModel.load with an empty cache: the graph is built from safetensors, then
//             onnxruntime loads and optimises it;
//   prepared  AttentionModel.load with the graph already in the cache;
// and one 512-token run after the prepared load. Targets (issue 11): prepared ≤ 1.5 × read + 2 s
// with peak RSS ≤ 1.3 × the weights as float32; a first build within twice both.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { syntheticLlamaFolder, weightBytes, type SyntheticConfig } from '../syntheticCheckpoint';
import { median } from './stats';

const run = promisify(execFile);
const PROBE = path.join(__dirname, 'loadingProbe.ts');

/** Qwen2.5-0.5B's config.json fields that shape the graph (the weights are random). */
export const QWEN25_05B: SyntheticConfig = {
  architectures: ['Qwen2ForCausalLM'], model_type: 'qwen2', hidden_size: 896, intermediate_size: 4864,
  num_hidden_layers: 24, num_attention_heads: 14, num_key_value_heads: 2, vocab_size: 151936,
  max_position_embeddings: 32768, rms_norm_eps: 1e-6, rope_theta: 1000000, tie_word_embeddings: true,
  torch_dtype: 'bfloat16', hidden_act: 'silu',
};

interface Probe {
  ms: number;
  peakRssBytes: number;
  loadPeakRssBytes?: number;
  runMs?: number;
  stages?: Record<string, number>;
}

async function probe(args: string[]): Promise<Probe> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', PROBE, ...args], { maxBuffer: 1 << 20 });
  return JSON.parse(stdout.trim().split('\n').pop()!) as Probe;
}

const GB = 1e9;
const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const gb = (bytes: number): string => `${(bytes / GB).toFixed(2)} GB`;

/** Runs the loading rows and prints their table. */
export async function loadingBench(runs: number, log: (line: string) => void): Promise<void> {
  const cache = path.resolve(__dirname, '..', '..', '.cache', 'bench');
  const tokenizer = path.resolve(__dirname, '..', '..', '..', 'shared', 'models', 'tinystories-656k');
  log('loading bench: generating the Qwen2.5-0.5B-shaped checkpoint once (988 MB, bf16)');
  const dir = syntheticLlamaFolder(path.join(cache, 'qwen2.5-0.5b-random'), QWEN25_05B, 'BF16', tokenizer);
  const onDisk = weightBytes(dir);
  const float32 = onDisk * 2; // bf16 weights are held as float32 once onnxruntime has cast them
  await probe(['read', dir]); // warms the page cache, as a second start of the editor would find it

  const reads: Probe[] = [];
  const builds: Probe[] = [];
  const prepared: Probe[] = [];
  for (let i = 0; i < runs; i++) {
    reads.push(await probe(['read', dir]));
    const cacheDir = mkdtempSync(path.join(tmpdir(), 'attention-lens-bench-load-'));
    try {
      builds.push(await probe(['load', dir, cacheDir]));
      prepared.push(await probe(['load', dir, cacheDir, '512']));
    } finally {
      rmSync(cacheDir, { recursive: true, force: true });
    }
    log(`loading bench: round ${i + 1}/${runs}: read ${s(reads[i].ms)}, build ${s(builds[i].ms)} (${gb(builds[i].peakRssBytes)}), ` +
      `prepared ${s(prepared[i].ms)} (${gb(prepared[i].loadPeakRssBytes ?? prepared[i].peakRssBytes)}), 512-token run ${s(prepared[i].runMs ?? NaN)}`);
  }
  const readMs = median(reads.map((p) => p.ms));
  const target = 1.5 * readMs + 2000;
  const rssTarget = 1.3 * float32;
  const row = (name: string, ps: Probe[], factor: number): string => {
    const ms = median(ps.map((p) => p.ms));
    const rss = median(ps.map((p) => p.loadPeakRssBytes ?? p.peakRssBytes));
    return `| ${name} | ${s(ms)} | ${(ms / readMs).toFixed(2)}× | ${s(factor * target)} ${ms <= factor * target ? '✔' : '✘'} | ` +
      `${gb(rss)} | ${(rss / float32).toFixed(2)}× | ${gb(factor * rssTarget)} ${rss <= factor * rssTarget ? '✔' : '✘'} |`;
  };
  console.log(`Qwen2.5-0.5B shape, random bf16 weights: ${gb(onDisk)} on disk, ${gb(float32)} as float32 in memory; medians of ${runs} runs\n`);
  console.log('| step | time | × read | time target | peak RSS | × float32 weights | RSS target |');
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  console.log(`| read the weights | ${s(readMs)} | 1.00× | | ${gb(median(reads.map((p) => p.peakRssBytes)))} | | |`);
  console.log(row('prepared load', prepared, 1));
  console.log(row('first build', builds, 2));
  console.log(`\n512-token run after the prepared load: ${s(median(prepared.map((p) => p.runMs ?? NaN)))}; ` +
    `stages of a first build (ms from start): ${JSON.stringify(builds[builds.length - 1].stages)}`);
}
