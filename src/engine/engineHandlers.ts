// What the engine answers on its channel, whatever carries it: the engine process, or the bench's
// worker thread that measures what the process boundary costs. Inspections feed the attention store
// and stream only notices; views, reports and releases are answered from the store.
import { Transfer, type Handlers } from '../channel';
import type { AttentionReply, EngineApi, InspectOptions, InspectionDone, InspectionEvent, StoreMode } from '../protocol';
import type { AttentionStore } from './attentionStore';
import { generateInto } from './generationHandler';
import { budgetBytes } from './storeBudget';
import type { Pipeline } from './pipeline';
import { writeStoredReport } from './storeReport';

/** The engine's answers: inspections run by `pipeline` into `store`, views from it, and its memory use. */
export function engineHandlers(pipeline: Pipeline, store: AttentionStore): Handlers<EngineApi> {
  let unnamed = 0;
  return {
    inspect: (params, { signal, emit }) => inspect(pipeline, store, { ...params, inspection: params.inspection ?? --unnamed }, emit, signal),
    generate: (params, { signal, emit }) => generateInto(pipeline, store, params, emit, signal),
    view: async ({ inspection, request }, { signal }) => {
      const reply = await store.view(inspection, request, signal);
      return new Transfer(reply, buffersOf(reply));
    },
    release: ({ inspection }) => store.release(inspection),
    report: async (request, { signal, emit }) => ({
      bytes: await writeStoredReport(store, request, (fraction) => emit({ fraction }), signal),
    }),
    usage: () => ({ rss: process.memoryUsage().rss }),
  };
}

async function inspect(
  pipeline: Pipeline, store: AttentionStore, params: InspectOptions & { inspection: number },
  emit: (event: InspectionEvent) => void, signal: AbortSignal,
): Promise<InspectionDone> {
  const id = params.inspection;
  let facts: Parameters<AttentionStore['describe']>[1] | undefined;
  let mode: StoreMode | undefined;
  try {
    const { timings } = await pipeline.inspect(params, {
      onProgress: (stage) => emit({ type: 'progress', stage }),
      onStarted: (started, recompute) => {
        store.budget = budgetBytes(params.memoryBudgetMB);
        const { model, tokens } = started;
        const shape = { T: tokens.length, heads: model.heads, layers: model.layers, special: tokens.map((t) => t.special), causal: model.causal };
        mode = store.open(id, shape, recompute, params.onScreen);
        facts = { model: { ...model, provider: started.provider }, text: params.text, tokens, warnings: started.warnings };
        emit(started);
      },
      keepsForRecompute: () => mode === 'recompute',
      layerPrecision: () => (mode === 'float16' ? 'float16' : 'float32'),
      onLog: (message) => emit({ type: 'log', message }),
      onLayer: (layer) => {
        store.put(id, layer.layer, layer.precision === 'float16' ? new Uint16Array(layer.data) : new Float32Array(layer.data));
        emit({ type: 'layer', layer: layer.layer });
      },
    }, signal);
    store.end(id);
    if (facts) store.describe(id, { ...facts, timings });
    const usage = store.usage(id);
    return { timings, store: usage?.mode ?? 'recompute', storeBytes: usage?.bytes ?? 0, storeMeanBytes: usage?.meanBytes ?? 0 };
  } catch (err) {
    store.end(id, err);
    throw err;
  }
}

// A reply's buffers move to the transport rather than being copied.
function buffersOf(reply: AttentionReply): ArrayBuffer[] {
  return Object.values(reply).filter((value): value is ArrayBuffer => value instanceof ArrayBuffer);
}
