// One loading measurement in a process of its own, so its peak RSS is its own:
//   read DIR                  reads every weight file of DIR from disk (the floor for any loader);
//   load DIR CACHE [TOKENS]   AttentionModel.load through CACHE (a first build when CACHE is empty,
//                             a prepared load when it already holds the graph), then one run of TOKENS tokens.
// Prints one JSON line: { ms, peakRssBytes, runMs?, stages? }.
import { openSync, readSync, closeSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { AttentionModel } from '../../src/engine/attentionModel';
import type { LoadStage } from '../../src/protocol';
import { inputOfLength, loadTokenizer } from './inputText';

function readAll(dir: string): void {
  const buffer = Buffer.allocUnsafe(64 << 20);
  for (const name of readdirSync(dir).filter((f) => f.endsWith('.safetensors') || f.includes('.onnx'))) {
    const fd = openSync(path.join(dir, name), 'r');
    try {
      while (readSync(fd, buffer, 0, buffer.length, null) > 0) { /* reading is the measurement */ }
    } finally {
      closeSync(fd);
    }
  }
}

async function main(): Promise<void> {
  const [mode, dir, cacheDir, tokens] = process.argv.slice(2);
  const start = performance.now();
  const result: Record<string, unknown> = {};
  if (mode === 'read') {
    readAll(dir);
  } else {
    const stages: Partial<Record<LoadStage, number>> = {};
    const model = await AttentionModel.load(dir, 'cpu', cacheDir, (stage) => { stages[stage] = Math.round(performance.now() - start); });
    result.stages = stages;
    result.ms = performance.now() - start;
    result.loadPeakRssBytes = process.resourceUsage().maxRSS * 1024;
    if (tokens) {
      const input = inputOfLength(loadTokenizer(dir), Number(tokens));
      const encoded = model.encode(input.text, Number(tokens));
      const t = performance.now();
      await model.run(encoded);
      result.runMs = performance.now() - t;
    }
    await model.dispose();
  }
  result.ms ??= performance.now() - start;
  result.peakRssBytes = process.resourceUsage().maxRSS * 1024;
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
