// A channel port over a worker thread, from either side.
import type { MessagePort, Worker } from 'node:worker_threads';
import type { Port } from '../../src/channel';

/** The port of a Worker (the parent's side) or of parentPort (the worker's side). */
export function threadPort(end: Worker | MessagePort): Port {
  return {
    post: (message, transfer) => end.postMessage(message, transfer),
    listen: (listener) => {
      end.on('message', listener);
      return () => end.off('message', listener);
    },
  };
}
