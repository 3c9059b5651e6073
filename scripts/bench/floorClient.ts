// Host side of the floor worker: opens a model's bare and raw sessions there and turns its timed
// runs into probes. The worker is bundled on the fly because worker threads do not inherit tsx.
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { buildSync } from 'esbuild';
import type { FloorGraph, FloorReply, FloorRequest } from './floorProtocol';
import type { BenchInput } from './inputText';
import type { Probe } from './stats';

/** The floor worker, holding one model's sessions at a time. */
export class FloorClient {
  private constructor(private readonly worker: Worker) {}

  /** Bundles and starts the worker; `cacheDir` receives the bundle. */
  static start(cacheDir: string): FloorClient {
    const outfile = path.join(cacheDir, 'floor-worker.js');
    buildSync({
      entryPoints: [path.join(__dirname, 'floorWorker.ts')], outfile, bundle: true, platform: 'node',
      format: 'cjs', target: 'node20', external: ['onnxruntime-node'], logLevel: 'warning',
    });
    return new FloorClient(new Worker(outfile));
  }

  /** Opens the model's sessions; returns how many attention layers the surgered graph exposes. */
  async open(modelDir: string): Promise<number> {
    const reply = await this.request({ type: 'open', modelDir });
    if (reply.type !== 'opened') throw new Error(`unexpected reply ${reply.type}`);
    return reply.layers;
  }

  /** Feeds the input's ids to the sessions, then returns one probe per graph. */
  async probes(input: BenchInput): Promise<Probe[]> {
    await this.request({ type: 'prepare', ids: input.ids, typeIds: input.typeIds });
    const probe = (graph: FloorGraph): Probe => ({
      name: graph,
      run: async () => {
        const reply = await this.request({ type: 'run', graph });
        if (reply.type !== 'ran') throw new Error(`unexpected reply ${reply.type}`);
        return { ms: reply.ms, gcMs: reply.gcMs };
      },
    });
    return [probe('bare'), probe('raw')];
  }

  async release(): Promise<void> {
    await this.request({ type: 'release' });
  }

  async dispose(): Promise<void> {
    await this.worker.terminate();
  }

  private request(request: FloorRequest): Promise<FloorReply> {
    return new Promise((resolve, reject) => {
      const cleanup = (): void => {
        this.worker.off('message', onMessage);
        this.worker.off('error', onError);
      };
      const onMessage = (reply: FloorReply): void => {
        cleanup();
        if (reply.type === 'failed') reject(new Error(`floor worker: ${reply.message}`));
        else resolve(reply);
      };
      const onError = (err: Error): void => {
        cleanup();
        reject(err);
      };
      this.worker.on('message', onMessage);
      this.worker.on('error', onError);
      this.worker.postMessage(request);
    });
  }
}
