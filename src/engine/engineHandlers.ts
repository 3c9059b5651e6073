// What the engine answers on its channel, whatever carries it: the engine process, or the bench's
// worker thread that measures what the process boundary costs.
import type { Handlers } from '../channel';
import type { EngineApi } from '../protocol';
import type { Pipeline } from './pipeline';

/** The engine's answers: inspections run by `pipeline`, streamed as events, and its memory use. */
export function engineHandlers(pipeline: Pipeline): Handlers<EngineApi> {
  return {
    inspect: (params, { signal, emit }) => pipeline.inspect(params, {
      onProgress: (stage) => emit({ type: 'progress', stage }),
      onStarted: (started) => emit(started),
      onLayer: (layer) => emit(layer, [layer.data]),
      onLog: (message) => emit({ type: 'log', message }),
    }, signal),
    usage: () => ({ rss: process.memoryUsage().rss }),
  };
}
