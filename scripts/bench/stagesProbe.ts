// One model's staged or uncut runs in a process of its own, so its peak RSS is its own, run one at a
// time as the bench asks over IPC, so that it can alternate them with the other process's runs:
//   staged DIR CACHE   AttentionModel (one session per stage part): per run, the time until layer 0's
//                      attention is in hand and until the last layer's is;
//   uncut DIR CACHE    the same surgered graph in one session, fetching every layer's attention.
// Sends { loadMs } once loaded; then answers each { tokens: T } with one run's ProbeRun, and
// { done: true } with { peakRssBytes } before it exits. cpuMs is the process's CPU time (user and
// system, all threads) during the run.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { AttentionModel, type EncodedText } from '../../src/engine/attentionModel';
import { buildFeeds } from '../../src/engine/feeds';
import { buildOnnxToFile, checkpointCacheKey } from '../../src/engine/graphs';
import { resolveModelFolder } from '../../src/engine/modelFolder';
import { openSession } from '../../src/engine/providers';
import { exposeAttention } from '../../src/engine/surgery';
import { TextTokenizer } from '../../src/engine/tokenizer';
import { inputOfLength, loadTokenizer } from './inputText';

/** One timed run. */
export interface ProbeRun {
  tokens: number;
  firstMs: number;
  totalMs: number;
  cpuMs: number;
}

/** What the bench sends: a run at T tokens, or the end. */
export type ProbeRequest = { tokens: number } | { done: true };

/** What the probe sends back, in order: once loaded, one per run, and at the end. */
export type ProbeReply = { loadMs: number } | ProbeRun | { peakRssBytes: number } | { error: string };

// The surgered graph as AttentionModel.load finds it: the folder's ONNX file, or the one built from safetensors.
async function graphBytes(dir: string, cacheDir: string): Promise<{ bytes: Uint8Array; dataDir: string }> {
  const folder = resolveModelFolder(dir);
  if (folder.onnxPath) return { bytes: await readFile(folder.onnxPath), dataDir: path.dirname(folder.onnxPath) };
  const cached = path.join(cacheDir, 'graphs', `${checkpointCacheKey(folder.dir)}.onnx`);
  if (!existsSync(cached)) await buildOnnxToFile(folder.dir, cached);
  return { bytes: await readFile(cached), dataDir: folder.dir };
}

function send(reply: ProbeReply): void {
  process.send!(reply);
}

async function main(): Promise<void> {
  const [mode, dir, cacheDir] = process.argv.slice(2);
  const start = performance.now();
  const folder = resolveModelFolder(dir);
  const tokenizer = await TextTokenizer.fromFolder(folder.dir);
  // The uncut side never opens the staged sessions, so its peak RSS is the uncut graph's alone.
  const model = mode === 'staged' ? await AttentionModel.load(dir, 'cpu', cacheDir) : undefined;
  let uncut: ((encoded: EncodedText) => Promise<void>) | undefined;
  if (!model) {
    const { bytes, dataDir } = await graphBytes(dir, cacheDir);
    const graph = exposeAttention(bytes);
    const { session } = await openSession(graph.bytes, 'cpu', dataDir);
    uncut = async (encoded) => {
      const feeds = buildFeeds(graph.inputs, encoded.tokens.map((t) => t.id), encoded.typeIds, folder.config);
      await session.run(feeds, graph.attentionOutputs);
    };
  }
  const inputs = new Map<number, EncodedText>();
  const input = (T: number): EncodedText => {
    let encoded = inputs.get(T);
    if (!encoded) {
      const { tokens, typeIds } = tokenizer.encode(inputOfLength(loadTokenizer(dir), T).text);
      inputs.set(T, encoded = { tokens: tokens.slice(0, T), typeIds: typeIds.slice(0, T) });
    }
    return encoded;
  };
  const runOnce = async (T: number): Promise<ProbeRun> => {
    const encoded = input(T);
    const cpu = process.cpuUsage();
    const t = performance.now();
    let first = NaN;
    if (uncut) await uncut(encoded);
    else await model!.runStages(encoded, (layer) => { if (layer === 0) first = performance.now() - t; });
    const total = performance.now() - t;
    const used = process.cpuUsage(cpu);
    return { tokens: encoded.tokens.length, firstMs: uncut ? total : first, totalMs: total, cpuMs: (used.user + used.system) / 1000 };
  };
  // One request at a time: the bench waits for each reply before it sends the next.
  process.on('message', (request: ProbeRequest) => {
    if ('done' in request) {
      void Promise.resolve(model?.dispose()).then(() => {
        send({ peakRssBytes: process.resourceUsage().maxRSS * 1024 });
        process.disconnect();
      });
      return;
    }
    runOnce(request.tokens).then(send, (err: unknown) => send({ error: err instanceof Error ? err.stack ?? err.message : String(err) }));
  });
  send({ loadMs: performance.now() - start });
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
  process.disconnect?.();
});
