// The rollout off the panel's main thread: O(L·T³) is about a second at 12 layers of 512 tokens,
// which would freeze the panel. Bundled alone to dist/rolloutWorker.js; started by rolloutComputer.ts.
import { Channel, Transfer, type Port } from '../src/channel';
import { rollout } from '../src/attention/rollout';
import type { RolloutApi } from './rolloutMessages';

const scope = self as unknown as {
  addEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
  removeEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
  postMessage(message: unknown, transfer: Transferable[]): void;
};

const port: Port = {
  post: (message, transfer) => scope.postMessage(message, transfer),
  listen: (listener) => {
    const onMessage = (event: MessageEvent): void => listener(event.data);
    scope.addEventListener('message', onMessage);
    return () => scope.removeEventListener('message', onMessage);
  },
};

let current = -1;
let layers: Float32Array[] = [];

const forId = (id: number): Float32Array[] => {
  if (id !== current) {
    current = id;
    layers = [];
  }
  return layers;
};

new Channel<Record<never, never>, RolloutApi>(port, {
  layer: ({ id, index, buffer }) => {
    forId(id)[index] = new Float32Array(buffer);
    return null;
  },
  run: ({ id, heads, T, count }) => {
    const received = forId(id);
    layers = [];
    if (received.length !== count || received.includes(undefined as unknown as Float32Array)) {
      throw new Error(`expected ${count} layers, got ${received.length}`);
    }
    const result = rollout(received, heads, T).map((m) => m.buffer as ArrayBuffer);
    return new Transfer(result, result);
  },
});
