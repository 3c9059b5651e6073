// The full pipeline as the extension sees it: EngineClient.inspect() from the host thread, through the
// worker (tokenize → run → one transferred buffer per layer), until every layer is on the host.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { EngineClient, InspectionResult } from '../../src/engine/client';
import type { BenchInput } from './inputText';
import type { GcWatch } from './gcWatch';
import type { Probe, Sample } from './stats';

// The event-loop histogram records a delay only at its next 1 ms tick, and drops the first interval
// after enable(): a short idle margin on each side (outside the timed span) makes every block count.
const MARGIN_MS = 2;

/** A probe timing `client.inspect` for one model and input, and the host thread's longest stall meanwhile. */
export async function pipelineProbe(
  client: EngineClient, gc: GcWatch, modelDir: string, input: BenchInput, layers: number,
): Promise<Probe> {
  const T = input.ids.length;
  // maxTokens: T with a text of at least T tokens, so the engine runs exactly the raw runs' ids.
  const inspect = (): Promise<InspectionResult> =>
    client.inspect({ model: modelDir, text: input.text, provider: 'cpu', maxTokens: T });

  // One checked call first (it also loads the model): the pipeline must see exactly the raw runs' input.
  const first = await inspect();
  const ids = first.started.tokens.map((t) => t.id);
  if (ids.length !== T || ids.some((id, i) => id !== input.ids[i])) {
    throw new Error(`the engine tokenized the input for ${modelDir} differently: [${ids.slice(0, 8).join(', ')}…] ` +
      `(${ids.length} tokens) vs [${input.ids.slice(0, 8).join(', ')}…] (${T})`);
  }
  const heads = first.started.model.heads;
  if (first.layers.length !== layers || first.layers.some((l) => l.length !== heads * T * T)) {
    throw new Error(`the engine returned ${first.layers.length} layers, expected ${layers} of [${heads}, ${T}, ${T}]`);
  }

  const run = async (): Promise<Sample> => {
    // A fresh histogram per run: a disabled one still counts a stall that happens while it is off.
    const delay = monitorEventLoopDelay({ resolution: 1 });
    delay.enable();
    await sleep(MARGIN_MS);
    const start = performance.now();
    const { timings } = await inspect();
    const ms = performance.now() - start;
    await sleep(MARGIN_MS);
    delay.disable();
    return { ms, hostBlockMs: delay.max / 1e6, timings, gcMs: gc.take(start, start + ms) };
  };
  return { name: 'pipeline', run };
}
