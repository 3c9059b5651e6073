// Host side of the floor worker: opens a model's bare and raw sessions there and turns its timed
// runs into probes. The worker is bundled on the fly because worker threads do not inherit tsx.
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { buildSync } from 'esbuild';
import { Channel, ChannelError } from '../../src/channel';
import type { FloorApi, FloorGraph } from './floorProtocol';
import type { BenchInput } from './inputText';
import type { Probe } from './stats';
import { threadPort } from './threadPort';

/** The floor worker, holding one model's sessions at a time. */
export class FloorClient {
  private constructor(private readonly worker: Worker, private readonly channel: Channel<FloorApi>) {}

  /** Bundles and starts the worker; `cacheDir` receives the bundle. */
  static start(cacheDir: string): FloorClient {
    const worker = new Worker(bundleWorker(path.join(__dirname, 'floorWorker.ts'), cacheDir));
    const channel = new Channel<FloorApi>(threadPort(worker));
    worker.on('error', (err) => channel.close(new ChannelError('failed', `floor worker: ${err.stack ?? err.message}`)));
    return new FloorClient(worker, channel);
  }

  /** Opens the model's sessions; returns how many attention layers the surgered graph exposes. */
  async open(modelDir: string): Promise<number> {
    return (await this.channel.request('open', { modelDir })).layers;
  }

  /** Feeds the input's ids to the sessions, then returns one probe per graph. */
  async probes(input: BenchInput): Promise<Probe[]> {
    await this.channel.request('prepare', { ids: input.ids, typeIds: input.typeIds });
    const probe = (graph: FloorGraph): Probe => ({ name: graph, run: () => this.channel.request('run', { graph }) });
    return [probe('bare'), probe('raw')];
  }

  async release(): Promise<void> {
    await this.channel.request('release', null);
  }

  async dispose(): Promise<void> {
    this.channel.close();
    await this.worker.terminate();
  }
}

/** Bundles a worker script with esbuild into `cacheDir` (worker threads do not inherit tsx); returns its path. */
export function bundleWorker(entry: string, cacheDir: string): string {
  const outfile = path.join(cacheDir, `${path.basename(entry, '.ts')}.js`);
  buildSync({
    entryPoints: [entry], outfile, bundle: true, platform: 'node',
    format: 'cjs', target: 'node20', external: ['onnxruntime-node'], logLevel: 'warning',
  });
  return outfile;
}
