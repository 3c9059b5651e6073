// The scale bench's engine probe: one inspection through the engine process as the extension runs
// it, timed to the first layer's event on the host and to the reply.
import type { EngineClient, InspectionResult } from '../../src/engine/client';
import type { InspectOptions } from '../../src/protocol';
import type { BenchInput } from './inputText';
import type { Probe } from './stats';

/** What the first, checked inspection of a row learned. */
export interface EngineRow {
  probe: Probe;
  layers: number;
  heads: number;
}

/**
 * Runs one checked inspection (it loads the model on first use) and returns a probe of the same
 * request. The request names an inspection id, as the presenter's do, so a store can keep it.
 */
export async function engineProbe(client: EngineClient, modelDir: string, cacheDir: string, input: BenchInput): Promise<EngineRow> {
  const T = input.ids.length;
  let inspection = 0;
  // maxTokens: T with a text of at least T tokens, so the engine runs exactly the floor's ids.
  const request = (): InspectOptions => ({ model: modelDir, text: input.text, provider: 'cpu', maxTokens: T, cacheDir, inspection: ++inspection });
  const first: InspectionResult = await client.inspect(request());
  const ids = first.started.tokens.map((t) => t.id);
  if (ids.length !== T || ids.some((id, i) => id !== input.ids[i])) {
    throw new Error(`the engine tokenized the input for ${modelDir} differently: ${ids.length} tokens, expected ${T}`);
  }
  const { layers, heads } = first.started.model;
  const run: Probe['run'] = async () => {
    const start = performance.now();
    let firstLayerMs: number | undefined;
    await client.inspect(request(), {
      onLayer: () => {
        firstLayerMs ??= performance.now() - start;
      },
    });
    return { ms: performance.now() - start, firstLayerMs };
  };
  return { probe: { name: 'engine', run }, layers, heads };
}
