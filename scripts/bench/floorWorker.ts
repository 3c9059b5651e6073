// Worker thread that times the floor measurements (bare and raw session.run). They run off the host
// thread, like the engine's own runs, so neither measurement pays for the other's garbage: the host
// receives every pipeline run's attention, and a raw run sharing its heap would pay for collecting it.
import { setTimeout as sleep } from 'node:timers/promises';
import { parentPort } from 'node:worker_threads';
import { resolveModelFolder } from '../../src/engine/modelFolder';
import type { FloorReply, FloorRequest } from './floorProtocol';
import { GcWatch } from './gcWatch';
import { ModelSessions } from './sessionRuns';

const port = parentPort;
if (!port) throw new Error('floorWorker must run in a worker thread');

let sessions: ModelSessions | undefined;
const gc = new GcWatch();

async function handle(request: FloorRequest): Promise<FloorReply> {
  switch (request.type) {
    case 'open':
      await sessions?.release();
      sessions = await ModelSessions.open(resolveModelFolder(request.modelDir));
      return { type: 'opened', layers: sessions.layers };
    case 'prepare':
      await sessions!.prepare(request.ids, request.typeIds);
      return { type: 'prepared' };
    case 'run': {
      const start = performance.now();
      const ms = await sessions!.time(request.graph);
      await sleep(1); // GC entries are delivered asynchronously
      return { type: 'ran', ms, gcMs: gc.take(start, start + ms) };
    }
    case 'release':
      await sessions?.release();
      sessions = undefined;
      return { type: 'released' };
  }
}

port.on('message', (request: FloorRequest) => {
  handle(request).then(
    (reply) => port.postMessage(reply),
    (err: unknown) => port.postMessage({ type: 'failed', message: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
  );
});
