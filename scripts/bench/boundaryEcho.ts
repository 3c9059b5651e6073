// Bench only: streams back `count` buffers of `bytes` each, as the engine streams layers, from a
// worker thread or from a child process (whichever started it), to time the boundary alone. A child
// with BOUNDARY_SLICED=1 sends through the engine's port (buffers in slices), else whole messages.
import { parentPort } from 'node:worker_threads';
import { Channel, type Port } from '../../src/channel';
import { processPort, type IpcEnd } from '../../src/engine/processPort';
import type { BoundaryApi } from './boundary';
import { threadPort } from './threadPort';

const wholeMessages: Port = {
  post: (message) => {
    if (process.connected) process.send!(message);
  },
  listen: (listener) => {
    process.on('message', listener);
    return () => process.off('message', listener);
  },
};

const port = parentPort ? threadPort(parentPort) : process.env.BOUNDARY_SLICED ? processPort(process as IpcEnd) : wholeMessages;
new Channel<Record<never, never>, BoundaryApi>(port, {
  layers: ({ count, bytes }, { emit }) => {
    for (let i = 0; i < count; i++) {
      const buffer = new ArrayBuffer(bytes);
      new Float32Array(buffer).fill(i);
      emit(buffer, [buffer]);
    }
    return null;
  },
});
if (!parentPort) process.on('disconnect', () => process.exit(0));
