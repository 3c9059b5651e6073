// Worker thread that times the floor measurements (bare and raw session.run). They run off the host
// thread, like the engine's own runs, so neither measurement pays for the other's garbage: the host
// receives every pipeline run's attention, and a raw run sharing its heap would pay for collecting it.
import { setTimeout as sleep } from 'node:timers/promises';
import { parentPort } from 'node:worker_threads';
import { Channel } from '../../src/channel';
import { resolveModelFolder } from '../../src/engine/modelFolder';
import type { FloorApi } from './floorProtocol';
import { GcWatch } from './gcWatch';
import { ModelSessions } from './sessionRuns';
import { threadPort } from './threadPort';

if (!parentPort) throw new Error('floorWorker must run in a worker thread');

let sessions: ModelSessions | undefined;
const gc = new GcWatch();

new Channel<Record<never, never>, FloorApi>(threadPort(parentPort), {
  open: async ({ modelDir }) => {
    await sessions?.release();
    sessions = await ModelSessions.open(resolveModelFolder(modelDir));
    return { layers: sessions.layers };
  },
  prepare: async ({ ids, typeIds }) => {
    await sessions!.prepare(ids, typeIds);
    return null;
  },
  run: async ({ graph }) => {
    const start = performance.now();
    const ms = await sessions!.time(graph);
    await sleep(1); // GC entries are delivered asynchronously
    return { ms, gcMs: gc.take(start, start + ms) };
  },
  release: async () => {
    await sessions?.release();
    sessions = undefined;
    return null;
  },
});
