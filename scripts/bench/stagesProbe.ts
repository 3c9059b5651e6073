// One model's staged or uncut runs in a process of its own, so its peak RSS is its own:
//   staged DIR CACHE RUNS T…   AttentionModel (one session per stage part): per run, the time until
//                              layer 0's attention is in hand and until the last layer's is;
//   uncut DIR CACHE RUNS T…    the same surgered graph in one session, fetching every layer's attention.
// Each T gets one untimed run first. Prints one JSON line: { loadMs, peakRssBytes, rows: [{ tokens, firstMs[], totalMs[], cpuMs[] }] },
// cpuMs being the process's CPU time (user and system, all threads) per run.
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

interface Row {
  tokens: number;
  firstMs: number[];
  totalMs: number[];
  cpuMs: number[];
}

// The surgered graph as AttentionModel.load finds it: the folder's ONNX file, or the one built from safetensors.
async function graphBytes(dir: string, cacheDir: string): Promise<{ bytes: Uint8Array; dataDir: string }> {
  const folder = resolveModelFolder(dir);
  if (folder.onnxPath) return { bytes: await readFile(folder.onnxPath), dataDir: path.dirname(folder.onnxPath) };
  const cached = path.join(cacheDir, 'graphs', `${checkpointCacheKey(folder.dir)}.onnx`);
  if (!existsSync(cached)) await buildOnnxToFile(folder.dir, cached);
  return { bytes: await readFile(cached), dataDir: folder.dir };
}

async function main(): Promise<void> {
  const [mode, dir, cacheDir, runsText, ...lengths] = process.argv.slice(2);
  const runs = Number(runsText);
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
  const loadMs = performance.now() - start;
  const rows: Row[] = [];
  for (const T of lengths.map(Number)) {
    const { tokens, typeIds } = tokenizer.encode(inputOfLength(loadTokenizer(dir), T).text);
    const encoded: EncodedText = { tokens: tokens.slice(0, T), typeIds: typeIds.slice(0, T) };
    const row: Row = { tokens: encoded.tokens.length, firstMs: [], totalMs: [], cpuMs: [] };
    for (let i = 0; i <= runs; i++) {
      const cpu = process.cpuUsage();
      const t = performance.now();
      let first = NaN;
      if (uncut) await uncut(encoded);
      else await model!.runStages(encoded, (layer) => { if (layer === 0) first = performance.now() - t; });
      const total = performance.now() - t;
      const used = process.cpuUsage(cpu);
      if (i === 0) continue; // the untimed first run
      row.firstMs.push(uncut ? total : first);
      row.totalMs.push(total);
      row.cpuMs.push((used.user + used.system) / 1000);
    }
    rows.push(row);
  }
  await model?.dispose();
  process.stdout.write(`${JSON.stringify({ loadMs, peakRssBytes: process.resourceUsage().maxRSS * 1024, rows })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
