// One series of the generate bench, in a process of its own (forked by generation.ts, with the
// engine's allocator settings), for every prompt of one model: generate() here with the plain decode
// in lockstep, or the engine process through EngineClient with a plain decode after each run. A
// process per series, because the allocator the engine runs with keeps what it frees: a model this
// process has let go of would otherwise stay resident beside the next series' (4 GB for the Qwen shape).
import { loadavg } from 'node:os';
import { AttentionModel } from '../../src/engine/attentionModel';
import { EngineClient } from '../../src/engine/client';
import { lowerEnginePriority } from '../../src/engine/enginePriority';
import { PlainDecode, plainModelAt, timeEngine, timeGenerate, type Timing, type Written } from './generationRuns';
import { collectGarbage } from './processMemory';

/** What the bench asks of a series process. */
export interface SeriesRequest {
  kind: 'bare' | 'engine';
  name: string;
  location: string;
  /** Per prompt: its text and the timed runs (after untimed ones: at least one, and for warmupMs). */
  prompts: { text: string; runs: number }[];
  warmupMs: number;
  newTokens: number;
  cacheDir: string;
  enginePath: string;
}

/** Per prompt: the timed runs, ours and the plain decode's, and the load average before each. */
export interface SeriesResult {
  ours: Timing[];
  plain: Timing[];
  prompt: number;
  steps: number;
  load: number[];
}

/** Past this much in array buffers, the heap is collected before the next run. */
const LARGE_GARBAGE_BYTES = 512 * 2 ** 20;

// One 2048-token run of the Qwen shape leaves 3 GB of attention behind: collected before the next,
// so no run holds another's. Smaller runs are left alone: a collection gives memory back, and the
// run after it paid for taking it again (its first token up to twice as late on the fixtures).
function collectLargeGarbage(): void {
  if (process.memoryUsage().arrayBuffers > LARGE_GARBAGE_BYTES) collectGarbage();
}

const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

async function main(request: SeriesRequest): Promise<SeriesResult[]> {
  // The engine runs below normal priority: the plain decode it is compared with runs there too, or
  // other work on a shared machine would slow the engine's tokens and not the plain ones.
  if (request.kind === 'engine') {
    const failed = lowerEnginePriority();
    if (failed) log(`generate bench: ${failed}`);
  }
  // The engine series leaves the model to the engine: this process holds only the plain decoder.
  const model = request.kind === 'bare' ? await AttentionModel.load(request.location, 'cpu', request.cacheDir) : undefined;
  const plain = await PlainDecode.open(await plainModelAt(request.location, request.cacheDir));
  const client = model ? undefined
    : new EngineClient({ enginePath: request.enginePath, log: (line) => log(`  ${line}`), limits: () => ({ timeoutMs: 30 * 60_000 }) });
  const results: SeriesResult[] = [];
  let inspection = 0;
  try {
    for (const { text, runs } of request.prompts) {
      const result: SeriesResult = { ours: [], plain: [], prompt: 0, steps: 0, load: [] };
      // Untimed runs first, for at least warmupMs: V8 optimises the per-token JavaScript only after
      // it has run a while (the fixtures' first runs were up to twice as slow per token).
      const warm = performance.now() + request.warmupMs;
      for (let run = 0, untimed = true; result.ours.length < runs; run++) {
        result.load.push(loadavg()[0]);
        collectLargeGarbage();
        let written: Written & { plain: Timing };
        if (model) {
          written = await timeGenerate(model, text, request.newTokens, plain);
        } else {
          const engine = await timeEngine(client!, request.location, text, request.newTokens, ++inspection, request.cacheDir);
          collectLargeGarbage();
          written = { ...engine, plain: await plain.time(text, engine.ids) };
        }
        result.prompt = written.prompt.length;
        result.steps = written.ids.length;
        if (untimed) {
          if (run === 0) log(`generate bench: ${request.name}, ${request.kind === 'bare' ? 'generate()' : 'engine'}, prompt of ${result.prompt} tokens, ${result.steps} new`);
          untimed = performance.now() < warm;
          continue;
        }
        result.ours.push(written.timing);
        result.plain.push(written.plain);
      }
      results.push(result);
    }
  } finally {
    client?.dispose();
    await plain.release();
    await model?.dispose();
  }
  return results;
}

if (require.main === module) {
  main(JSON.parse(process.argv[2]) as SeriesRequest).then(
    (results) => process.send!(results, () => process.exit(0)),
    (err: unknown) => {
      log(`generate bench: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
      process.exit(1);
    },
  );
}
