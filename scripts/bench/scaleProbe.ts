// The scale bench's engine probe: one inspection through the engine process as the extension runs
// it, timed to the first layer's event on the host and to the reply. Each run's inspection is
// released when the next one has replied, as the presenter lets go of the one it no longer shows.
import type { EngineClient, InspectionHandlers, InspectionResult } from '../../src/engine/client';
import type { InspectOptions, StoreMode } from '../../src/protocol';
import type { BenchInput } from './inputText';
import type { Probe } from './stats';

/** What the first, checked inspection of a row learned, and the probe that repeats it. */
export interface EngineRow {
  probe: Probe;
  layers: number;
  heads: number;
  /** How the engine's store kept the last run's inspection. */
  store(): { mode: StoreMode; bytes: number };
  /** The untimed first inspection's times: a model's first includes loading it. */
  checked: { firstLayerMs: number; totalMs: number };
  /** The same inspection under id `inspection`, with the caller's handlers (to show it live on a page). */
  inspect(inspection: number, handlers: InspectionHandlers): Promise<InspectionResult>;
}

/** Inspection ids for the whole bench: the engine's store keeps inspections by id. */
export type NextInspection = () => number;

/** Runs one checked inspection (it loads the model on first use) and returns a probe of the same request. */
export async function engineProbe(
  client: EngineClient, modelDir: string, cacheDir: string, input: BenchInput, nextInspection: NextInspection,
): Promise<EngineRow> {
  const T = input.ids.length;
  // maxTokens: T with a text of at least T tokens, so the engine runs exactly the floor's ids.
  const request = (inspection: number): InspectOptions => ({ model: modelDir, text: input.text, provider: 'cpu', maxTokens: T, cacheDir, inspection });
  let shown = nextInspection();
  const start = performance.now();
  let firstLayerMs = NaN;
  let last: InspectionResult = await client.inspect(request(shown), {
    onLayer: () => {
      if (Number.isNaN(firstLayerMs)) firstLayerMs = performance.now() - start;
    },
  });
  const checked = { firstLayerMs, totalMs: performance.now() - start };
  const ids = last.started.tokens.map((t) => t.id);
  if (ids.length !== T || ids.some((id, i) => id !== input.ids[i])) {
    throw new Error(`the engine tokenized the input for ${modelDir} differently: ${ids.length} tokens, expected ${T}`);
  }
  const { layers, heads } = last.started.model;
  const run: Probe['run'] = async () => {
    const inspection = nextInspection();
    const start = performance.now();
    let firstLayerMs: number | undefined;
    last = await client.inspect(request(inspection), {
      onLayer: () => {
        firstLayerMs ??= performance.now() - start;
      },
    });
    const ms = performance.now() - start;
    client.release(shown);
    shown = inspection;
    return { ms, firstLayerMs };
  };
  return {
    probe: { name: 'engine', run }, layers, heads, checked, store: () => ({ mode: last.store, bytes: last.storeBytes }),
    inspect: (inspection, handlers) => client.inspect(request(inspection), handlers),
  };
}
