// The host side of the bench's worker-thread engine (engineThread.ts): the same inspect call as
// EngineClient's, over a worker thread instead of a process boundary.
import { Worker } from 'node:worker_threads';
import * as path from 'node:path';
import { Channel, ChannelError } from '../../src/channel';
import type { InspectionResult } from '../../src/engine/client';
import type { EngineApi, InspectionStarted, InspectOptions } from '../../src/protocol';
import { bundleWorker } from './floorClient';
import { threadPort } from './threadPort';

export class ThreadEngine {
  private constructor(private readonly worker: Worker, private readonly channel: Channel<EngineApi>) {}

  /** Bundles and starts the worker; `cacheDir` receives the bundle. */
  static start(cacheDir: string): ThreadEngine {
    const worker = new Worker(bundleWorker(path.join(__dirname, 'engineThread.ts'), cacheDir));
    const channel = new Channel<EngineApi>(threadPort(worker));
    worker.on('error', (err) => channel.close(new ChannelError('failed', `engine thread: ${err.stack ?? err.message}`)));
    return new ThreadEngine(worker, channel);
  }

  async inspect(request: InspectOptions): Promise<InspectionResult> {
    let started: InspectionStarted | undefined;
    const done = await this.channel.request('inspect', request, {
      onEvent: (event) => {
        if (event.type === 'started') started = event;
      },
    });
    return { started: started!, ...done };
  }

  async dispose(): Promise<void> {
    this.channel.close();
    await this.worker.terminate();
  }
}
