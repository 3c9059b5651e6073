// `npm run bench -- --stages [--long] [--runs N]`: what running the graph in per-layer stages costs
// and gains, on BERT-base-shaped weights (the synthetic ONNX export) and the Qwen2.5-0.5B-shaped
// checkpoint of the loading bench (24 layers, 14 heads, 2 KV heads, hidden 896), at T = 128 and 512
// (and 2048 with --long, where the model's positions allow). Staged and uncut runs each run in a
// process of their own (scripts/bench/stagesProbe.ts), so each peak RSS is its own. Both processes
// stay loaded and take turns, one run each, the order swapped every pair, so that a neighbour busy
// for a while on a shared machine slows both sides of the pairs it overlaps (rows past 1024 tokens
// run one process after the other instead: the two together would not fit in memory). Per row:
//   firstLayerMs   until layer 0's attention is in hand (target: totalMs / layers + 30 ms);
//   stagedMs       until the last layer's is, run stage by stage;
//   uncutMs        the whole surgered graph in one session;
//   ratio          stagedMs / uncutMs of each pair: their median (target ≤ 1.10) and range;
//   CPU ratio      the same in the processes' CPU time (all threads), which other work on a shared
//                  machine disturbs far less than wall time.
import { fork, type ChildProcess } from 'node:child_process';
import { loadavg } from 'node:os';
import * as path from 'node:path';
import { engineAllocatorEnv, engineExecArgv } from '../../src/engine/engineMemory';
import { SYNTHETIC_BERT, ensureSyntheticBert } from '../synthetic-bert';
import { syntheticLlamaFolder } from '../syntheticCheckpoint';
import { QWEN25_05B } from './loading';
import { CACHE, REPO_ROOT } from './models';
import { median } from './stats';
import type { ProbeReply, ProbeRequest, ProbeRun } from './stagesProbe';

const PROBE = path.join(__dirname, 'stagesProbe.ts');
const TARGET_RATIO = 1.1;
const FIRST_LAYER_MARGIN_MS = 30;
// Past this T the two processes are not held together.
const PAIRED_UP_TO = 1024;

type Mode = 'staged' | 'uncut';

/** A probe process, loaded, answering one request at a time. */
class ProbeProcess {
  private waiting: ((reply: ProbeReply) => void) | undefined;
  private failure: Error | undefined;

  private constructor(private readonly child: ChildProcess, readonly mode: Mode) {
    child.on('message', (reply: ProbeReply) => {
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve?.(reply);
    });
    child.on('exit', (code) => {
      this.failure = new Error(`the ${mode} probe exited with ${code}`);
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve?.({ error: this.failure.message });
    });
  }

  /** Starts the probe and waits until its model is loaded. */
  static async start(mode: Mode, dir: string): Promise<{ probe: ProbeProcess; loadMs: number }> {
    // The probes run with the engine process's allocator settings and V8 options, as the extension's engine does.
    const child = fork(PROBE, [mode, dir, path.join(CACHE, 'stages')], {
      execArgv: [...process.execArgv, ...engineExecArgv()],
      env: { ...process.env, ...engineAllocatorEnv() }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const probe = new ProbeProcess(child, mode);
    const reply = await probe.next();
    return { probe, loadMs: expect(reply, 'loadMs', mode).loadMs };
  }

  /** One run at T tokens. */
  async run(tokens: number): Promise<ProbeRun> {
    return expect(await this.ask({ tokens }), 'totalMs', this.mode);
  }

  /** Ends the process; its peak RSS. */
  async finish(): Promise<number> {
    return expect(await this.ask({ done: true }), 'peakRssBytes', this.mode).peakRssBytes;
  }

  private ask(request: ProbeRequest): Promise<ProbeReply> {
    const reply = this.next();
    this.child.send(request);
    return reply;
  }

  private next(): Promise<ProbeReply> {
    if (this.failure) return Promise.resolve({ error: this.failure.message });
    return new Promise((resolve) => { this.waiting = resolve; });
  }
}

function expect<K extends string>(reply: ProbeReply, key: K, mode: Mode): Extract<ProbeReply, Record<K, unknown>> {
  if ('error' in reply) throw new Error(`${mode} probe: ${reply.error}`);
  if (!(key in reply)) throw new Error(`${mode} probe: unexpected reply ${JSON.stringify(reply)}`);
  return reply as Extract<ProbeReply, Record<K, unknown>>;
}

interface Side {
  runs: Map<number, ProbeRun[]>;
  loadMs: number;
  peakRssBytes: number;
}

const emptySide = (): Side => ({ runs: new Map(), loadMs: 0, peakRssBytes: 0 });

// One untimed run per T first, then `runs` timed ones; `probes` take turns, their order swapped each round.
async function series(probes: { probe: ProbeProcess; side: Side }[], tokens: number[], runs: number): Promise<void> {
  for (const T of tokens) {
    for (const { probe } of probes) await probe.run(T);
    for (let i = 0; i < runs; i++) {
      for (const { probe, side } of i % 2 === 0 ? probes : [...probes].reverse()) {
        const run = await probe.run(T);
        side.runs.set(T, [...side.runs.get(T) ?? [], run]);
      }
    }
  }
}

async function measure(dir: string, tokens: number[], runs: number, log: (line: string) => void, name: string): Promise<Record<Mode, Side>> {
  const sides: Record<Mode, Side> = { staged: emptySide(), uncut: emptySide() };
  const start = async (mode: Mode): Promise<{ probe: ProbeProcess; side: Side }> => {
    const { probe, loadMs } = await ProbeProcess.start(mode, dir);
    sides[mode].loadMs = Math.max(sides[mode].loadMs, loadMs);
    return { probe, side: sides[mode] };
  };
  const finish = async ({ probe, side }: { probe: ProbeProcess; side: Side }): Promise<void> => {
    side.peakRssBytes = Math.max(side.peakRssBytes, await probe.finish());
  };
  const paired = tokens.filter((T) => T <= PAIRED_UP_TO);
  if (paired.length > 0) {
    log(`stages bench: ${name}, staged and uncut in turn (T = ${paired.join(', ')}, ${runs} runs each)`);
    const probes = [await start('staged'), await start('uncut')];
    await series(probes, paired, runs);
    for (const p of probes) await finish(p);
  }
  const alone = tokens.filter((T) => T > PAIRED_UP_TO);
  for (const mode of alone.length > 0 ? ['staged', 'uncut'] as const : []) {
    log(`stages bench: ${name}, ${mode} alone (T = ${alone.join(', ')}, ${runs} runs each)`);
    const probe = await start(mode);
    await series([probe], alone, runs);
    await finish(probe);
  }
  return sides;
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
    '| model | T | firstLayerMs | target | stagedMs | uncutMs | ratio (pairs) | CPU staged / uncut | peak RSS staged | peak RSS uncut | load staged | load uncut |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  const loadBefore = loadavg()[0];
  for (const model of models) {
    const tokens = lengths.filter((T) => T <= model.maxTokens);
    const { staged, uncut } = await measure(model.dir, tokens, runs, log, model.name);
    for (const T of tokens) {
      const s = staged.runs.get(T)!;
      const u = uncut.runs.get(T)!;
      const first = median(s.map((r) => r.firstMs));
      const total = median(s.map((r) => r.totalMs));
      const target = total / model.layers + FIRST_LAYER_MARGIN_MS;
      const ratios = s.map((r, i) => r.totalMs / u[i].totalMs);
      const ratio = median(ratios);
      const cpu = [median(s.map((r) => r.cpuMs)), median(u.map((r) => r.cpuMs))];
      lines.push(`| ${model.name} | ${s[0].tokens} | ${ms(first)} | ${ms(target)} ${first <= target ? '✔' : '✘'} | ${ms(total)} | ` +
        `${ms(median(u.map((r) => r.totalMs)))} | ${ratio.toFixed(2)} ${ratio <= TARGET_RATIO ? '✔' : '✘'} ` +
        `(${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}) | ${ms(cpu[0])} / ${ms(cpu[1])} (${(cpu[0] / cpu[1]).toFixed(2)}) | ` +
        `${gb(staged.peakRssBytes)} | ${gb(uncut.peakRssBytes)} | ${(staged.loadMs / 1000).toFixed(1)} s | ${(uncut.loadMs / 1000).toFixed(1)} s |`);
    }
  }
  console.log(lines.join('\n'));
  console.log(`\nmedians of ${runs} runs after one untimed run per T, staged and uncut in turn; CPU provider; ` +
    `1-min load average ${loadBefore.toFixed(2)} before, ${loadavg()[0].toFixed(2)} after. Peak RSS covers loading and every T of the process.`);
}
