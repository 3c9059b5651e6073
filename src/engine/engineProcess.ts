// The engine process (bundled as dist/engine.js): a child of the extension host, so that a native
// crash in onnxruntime ends this process and not the editor. It answers the host's channel with the
// pipeline and exits when the host goes away or lets it go (the host disconnects it when idle).
import { Channel } from '../channel';
import type { EngineApi } from '../protocol';
import { Pipeline } from './pipeline';
import { processPort, type IpcEnd } from './processPort';

if (!process.send) throw new Error('The attention engine must be started by the extension host (child_process.fork).');

const pipeline = new Pipeline();
new Channel<Record<never, never>, EngineApi>(processPort(process as IpcEnd), {
  inspect: (params, { signal, emit }) => pipeline.inspect(params, {
    onProgress: (stage) => emit({ type: 'progress', stage }),
    onStarted: (started) => emit(started),
    onLayer: (layer) => emit(layer, [layer.data]),
  }, signal),
  usage: () => ({ rss: process.memoryUsage().rss }),
});

process.on('disconnect', () => process.exit(0));
