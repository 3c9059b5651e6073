// The full pipeline as the extension sees it: an inspect call from the host thread, through an
// engine (the engine process, or the bench's worker-thread engine), until every layer is on the host.
import { setTimeout as sleep } from 'node:timers/promises';
import type { InspectionResult } from '../../src/engine/client';
import type { InspectOptions } from '../../src/protocol';
import type { BenchInput } from './inputText';
import type { GcWatch } from './gcWatch';
import type { Probe, Sample } from './stats';

/** What a pipeline probe calls: EngineClient.inspect or ThreadEngine.inspect. */
export type Inspect = (request: InspectOptions) => Promise<InspectionResult>;

/** A probe named `name` timing `inspect` for one model and input (stats.ts watches the host thread meanwhile). */
export async function pipelineProbe(
  name: string, inspectWith: Inspect, gc: GcWatch, modelDir: string, input: BenchInput, layers: number,
): Promise<Probe> {
  const T = input.ids.length;
  // maxTokens: T with a text of at least T tokens, so the engine runs exactly the raw runs' ids.
  const inspect = (): Promise<InspectionResult> => inspectWith({ model: modelDir, text: input.text, provider: 'cpu', maxTokens: T });

  // One checked call first (it also loads the model): the pipeline must see exactly the raw runs' input.
  const first = await inspect();
  const ids = first.started.tokens.map((t) => t.id);
  if (ids.length !== T || ids.some((id, i) => id !== input.ids[i])) {
    throw new Error(`the engine tokenized the input for ${modelDir} differently: [${ids.slice(0, 8).join(', ')}…] ` +
      `(${ids.length} tokens) vs [${input.ids.slice(0, 8).join(', ')}…] (${T})`);
  }
  // The attention stays in the engine's store: it must hold every layer, in full, as float32, and
  // each layer's mean over heads (float32 layers need no kept thumbnails).
  const heads = first.started.model.heads;
  if (first.started.model.layers !== layers || first.store !== 'float32' || first.storeBytes !== layers * (heads + 1) * T * T * 4) {
    throw new Error(`the engine kept ${first.storeBytes} bytes (${first.store}), expected ${layers} layers of [${heads}, ${T}, ${T}] and their means as float32`);
  }

  const run = async (): Promise<Sample> => {
    const start = performance.now();
    const { timings } = await inspect();
    const ms = performance.now() - start;
    await sleep(1); // GC entries are delivered asynchronously
    return { ms, timings, gcMs: gc.take(start, start + ms) };
  };
  return { name, run };
}
