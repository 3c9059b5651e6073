// The engine process (bundled as dist/engine.js): a child of the extension host, so that a native
// crash in onnxruntime ends this process and not the editor. It answers the host's channel with the
// pipeline and exits when the host goes away or lets it go (the host disconnects it when idle).
import { Channel, type Port } from '../channel';
import type { EngineApi } from '../protocol';
import { Pipeline } from './pipeline';

if (!process.send) throw new Error('The attention engine must be started by the extension host (child_process.fork).');

// Advanced serialisation carries ArrayBuffers as binary; there is no transfer across processes.
const port: Port = {
  post: (message) => {
    if (process.connected) process.send!(message);
  },
  listen: (listener) => {
    process.on('message', listener);
    return () => process.off('message', listener);
  },
};

const pipeline = new Pipeline();
new Channel<Record<never, never>, EngineApi>(port, {
  inspect: (params, { signal, emit }) => pipeline.inspect(params, {
    onProgress: (stage) => emit({ type: 'progress', stage }),
    onStarted: (started) => emit(started),
    onLayer: (layer) => emit(layer, [layer.data]),
  }, signal),
  usage: () => ({ rss: process.memoryUsage().rss }),
});

process.on('disconnect', () => process.exit(0));
