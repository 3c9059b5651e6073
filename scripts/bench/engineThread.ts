// Bench only: the engine as it was before it moved to a process of its own, a worker thread over
// the same pipeline and channel, so the bench can say what the process boundary costs.
import { parentPort } from 'node:worker_threads';
import { Channel } from '../../src/channel';
import { Pipeline } from '../../src/engine/pipeline';
import type { EngineApi } from '../../src/protocol';
import { threadPort } from './threadPort';

if (!parentPort) throw new Error('engineThread must run in a worker thread');

const pipeline = new Pipeline();
new Channel<Record<never, never>, EngineApi>(threadPort(parentPort), {
  inspect: (params, { signal, emit }) => pipeline.inspect(params, {
    onProgress: (stage) => emit({ type: 'progress', stage }),
    onStarted: (started) => emit(started),
    onLayer: (layer) => emit(layer, [layer.data]),
  }, signal),
  usage: () => ({ rss: process.memoryUsage().rss }),
});
