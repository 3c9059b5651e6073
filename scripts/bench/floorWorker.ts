// Worker thread that times the floor measurements (bare and raw session.run). They run off the host
// thread, like the engine's own runs, so neither measurement pays for the other's garbage: the host
// receives every pipeline run's attention, and a raw run sharing its heap would pay for collecting it.
// The scale bench starts it as a child process instead, so that the host's memory is the host's own.
import { setTimeout as sleep } from 'node:timers/promises';
import { parentPort } from 'node:worker_threads';
import { Channel, type Port } from '../../src/channel';
import { resolveModelFolder } from '../../src/engine/modelFolder';
import { processPort, type IpcEnd } from '../../src/engine/processPort';
import type { FloorApi } from './floorProtocol';
import { GcWatch } from './gcWatch';
import { ModelSessions } from './sessionRuns';
import { threadPort } from './threadPort';

function port(): Port {
  if (parentPort) return threadPort(parentPort);
  if (process.send) return processPort(process as IpcEnd);
  throw new Error('floorWorker must run in a worker thread or a forked child process');
}

let sessions: ModelSessions | undefined;
const gc = new GcWatch();

new Channel<Record<never, never>, FloorApi>(port(), {
  open: async ({ modelDir, cacheDir, rawOnly }) => {
    await sessions?.release();
    sessions = await ModelSessions.open(resolveModelFolder(modelDir), { cacheDir, rawOnly });
    return { layers: sessions.layers };
  },
  prepare: async ({ ids, typeIds }) => {
    await sessions!.prepare(ids, typeIds);
    return null;
  },
  run: async ({ graph, forMs }) => {
    const start = performance.now();
    let ms = await sessions!.time(graph);
    if (forMs !== undefined) {
      while (performance.now() - start < forMs) await sessions!.time(graph);
      ms = performance.now() - start;
    }
    await sleep(1); // GC entries are delivered asynchronously
    return { ms, gcMs: gc.take(start, start + ms) };
  },
  release: async () => {
    await sessions?.release();
    sessions = undefined;
    return null;
  },
});

if (!parentPort) process.on('disconnect', () => process.exit(0));
