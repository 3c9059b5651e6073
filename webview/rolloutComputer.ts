// Computes attention rollout without freezing the page: in a Web Worker when the host page gives
// the worker script's URL, otherwise (or if the worker cannot start) on the main thread in steps of
// a few milliseconds that yield to the event loop in between.
//
// In a VS Code webview the script's asWebviewUri URL is on another origin than the page, and a
// Worker must be same-origin; so the script is fetched (the webview's resource loading serves it)
// and started from a Blob URL, which the panel's CSP allows with `worker-src blob:`.
import { Channel, type Port } from '../src/channel';
import { rolloutInSteps } from '../src/attention/rollout';
import type { RolloutApi } from './rolloutMessages';

export interface RolloutComputer {
  /** The cumulative rollout after each layer; resolves undefined when cancelled by a later call or `cancel`. */
  compute(layers: readonly Float32Array[], heads: number, T: number): Promise<Float32Array[] | undefined>;
  /** Where the last finished computation ran. */
  readonly via: 'worker' | 'main thread' | undefined;
  /** Drops the computation in progress: its promise resolves undefined. */
  cancel(): void;
  dispose(): void;
}

// The main thread's share of each task in the fallback: well under the 50 ms of a long task.
const SLICE_MS = 12;

interface RolloutWorker {
  worker: Worker;
  channel: Channel<RolloutApi>;
}

function portOf(worker: Worker): Port {
  return {
    post: (message, transfer) => worker.postMessage(message, transfer),
    listen: (listener) => {
      const onMessage = (event: MessageEvent): void => listener(event.data);
      worker.addEventListener('message', onMessage);
      return () => worker.removeEventListener('message', onMessage);
    },
  };
}

export function createRolloutComputer(workerUrl?: string): RolloutComputer {
  let generation = 0;
  let pending: { id: number; resolve: (result: Float32Array[] | undefined) => void; fallback: () => void } | undefined;
  let worker: Promise<RolloutWorker | undefined> | undefined;
  let workerFailed = !workerUrl || typeof Worker === 'undefined';
  let blobUrl: string | undefined;
  let via: RolloutComputer['via'];

  const settle = (result: Float32Array[] | undefined) => {
    const current = pending;
    pending = undefined;
    current?.resolve(result);
  };

  const startWorker = async (): Promise<RolloutWorker | undefined> => {
    try {
      if (!blobUrl) {
        const response = await fetch(workerUrl!);
        if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
        blobUrl = URL.createObjectURL(new Blob([await response.text()], { type: 'text/javascript' }));
      }
      const started = new Worker(blobUrl);
      started.onerror = (event) => {
        console.warn('rollout worker stopped; computing on the main thread:', event.message);
        event.preventDefault();
        workerFailed = true;
        pending?.fallback();
      };
      return { worker: started, channel: new Channel<RolloutApi>(portOf(started)) };
    } catch (error) {
      console.warn('rollout worker unavailable; computing on the main thread:', error);
      workerFailed = true;
      return undefined;
    }
  };

  // A computation the worker is busy with cannot be interrupted: a new worker takes over instead.
  const restartWorker = () => {
    void worker?.then((w) => {
      w?.channel.close();
      w?.worker.terminate();
    });
    worker = undefined;
  };

  const inSteps = (id: number, layers: readonly Float32Array[], heads: number, T: number) => {
    const steps = rolloutInSteps(layers, heads, T);
    const slice = () => {
      if (pending?.id !== id) return;
      const until = performance.now() + SLICE_MS;
      try {
        for (;;) {
          const step = steps.next();
          if (step.done) {
            via = 'main thread';
            return settle(step.value);
          }
          if (performance.now() >= until) break;
        }
      } catch (error) {
        console.error('rollout failed:', error);
        return settle(undefined);
      }
      setTimeout(slice, 0);
    };
    setTimeout(slice, 0);
  };

  return {
    get via() {
      return via;
    },
    compute(layers, heads, T) {
      if (pending) {
        settle(undefined);
        if (!workerFailed) restartWorker();
      }
      const id = ++generation;
      return new Promise((resolve) => {
        const fallback = () => {
          if (pending?.id === id) inSteps(id, layers, heads, T);
        };
        pending = { id, resolve, fallback };
        if (workerFailed) return fallback();
        worker ??= startWorker();
        void worker.then((started) => {
          if (pending?.id !== id) return;
          if (!started) return fallback();
          // Copies, one layer per task (a 12-head layer of 512 tokens is 12 MB): the views keep
          // drawing from the originals.
          let index = 0;
          const sendNext = () => {
            if (pending?.id !== id) return;
            if (index < layers.length) {
              const buffer = layers[index].slice().buffer as ArrayBuffer;
              void started.channel.request('layer', { id, index: index++, buffer }, { transfer: [buffer] }).catch(() => undefined);
              setTimeout(sendNext, 0);
              return;
            }
            started.channel.request('run', { id, heads, T, count: layers.length }).then((rollout) => {
              if (pending?.id !== id) return;
              via = 'worker';
              settle(rollout.map((buffer) => new Float32Array(buffer)));
            }, (error: unknown) => {
              if (pending?.id !== id) return;
              console.error('rollout worker failed:', error);
              pending.fallback();
            });
          };
          sendNext();
        });
      });
    },
    cancel() {
      if (!pending) return;
      settle(undefined);
      if (!workerFailed) restartWorker();
    },
    dispose() {
      settle(undefined);
      restartWorker();
      if (blobUrl) URL.revokeObjectURL(blobUrl);
    },
  };
}
