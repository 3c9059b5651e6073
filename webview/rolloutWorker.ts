// The rollout off the panel's main thread: O(L·T³) is about a second at 12 layers of 512 tokens,
// which would freeze the panel. Bundled alone to dist/rolloutWorker.js; started by rolloutComputer.ts.
import { rollout } from '../src/attention/rollout';
import type { RolloutReply, RolloutRequest } from './rolloutMessages';

const scope = self as unknown as {
  onmessage: ((event: MessageEvent<RolloutRequest>) => void) | null;
  postMessage(message: RolloutReply, transfer: Transferable[]): void;
};

let current = -1;
let layers: Float32Array[] = [];

scope.onmessage = (event) => {
  const request = event.data;
  if (request.id !== current) {
    current = request.id;
    layers = [];
  }
  if (request.type === 'layer') {
    layers[request.index] = new Float32Array(request.buffer);
    return;
  }
  const { id, heads, T, count } = request;
  try {
    if (layers.length !== count || layers.includes(undefined as unknown as Float32Array)) throw new Error(`expected ${count} layers, got ${layers.length}`);
    const result = rollout(layers, heads, T).map((m) => m.buffer as ArrayBuffer);
    layers = [];
    scope.postMessage({ id, rollout: result }, result);
  } catch (error) {
    scope.postMessage({ id, error: error instanceof Error ? error.message : String(error) }, []);
  }
};
