// Host side of the floor worker: opens a model's bare and raw sessions there and turns its timed
// runs into probes. The worker is bundled on the fly because worker threads do not inherit tsx.
// It runs as a worker thread, or (for the scale bench, which measures this process's memory) as a
// child process of its own.
import { fork, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { buildSync } from 'esbuild';
import { Channel, ChannelError } from '../../src/channel';
import { processPort } from '../../src/engine/processPort';
import type { FloorApi, FloorGraph } from './floorProtocol';
import type { BenchInput } from './inputText';
import type { Probe } from './stats';
import { threadPort } from './threadPort';

/** The floor worker, holding one model's sessions at a time. */
export class FloorClient {
  private constructor(private readonly worker: Worker | ChildProcess, private readonly channel: Channel<FloorApi>) {}

  /** Bundles and starts the worker; `cacheDir` receives the bundle. */
  static start(cacheDir: string): FloorClient {
    const worker = new Worker(bundleWorker(path.join(__dirname, 'floorWorker.ts'), cacheDir));
    const channel = new Channel<FloorApi>(threadPort(worker));
    worker.on('error', (err) => channel.close(new ChannelError('failed', `floor worker: ${err.stack ?? err.message}`)));
    return new FloorClient(worker, channel);
  }

  /** The same worker as a child process, forked as the engine is (advanced serialisation, no tsx). */
  static fork(cacheDir: string): FloorClient {
    const child = fork(bundleWorker(path.join(__dirname, 'floorWorker.ts'), cacheDir), [], {
      serialization: 'advanced', execArgv: [], stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    const channel = new Channel<FloorApi>(processPort(child));
    child.on('exit', (code, signal) => channel.close(new ChannelError('failed', `floor process exited (${signal ?? code})`)));
    return new FloorClient(child, channel);
  }

  /** The floor's process id when it runs as a child process. */
  get pid(): number | undefined {
    return this.worker instanceof Worker ? undefined : this.worker.pid;
  }

  /**
   * Opens the model's sessions; returns how many attention layers the surgered graph exposes.
   * `cacheDir` holds graphs built from checkpoints; `rawOnly` skips the unmodified graph's session.
   */
  async open(modelDir: string, options: { cacheDir?: string; rawOnly?: boolean } = {}): Promise<number> {
    return (await this.channel.request('open', { modelDir, ...options })).layers;
  }

  /** Feeds the input's ids to the sessions, then returns one probe per graph. */
  async probes(input: BenchInput, graphs: FloorGraph[] = ['bare', 'raw']): Promise<Probe[]> {
    await this.channel.request('prepare', { ids: input.ids, typeIds: input.typeIds });
    const probe = (graph: FloorGraph): Probe => ({ name: graph, run: () => this.channel.request('run', { graph }) });
    return graphs.map(probe);
  }

  /**
   * The probe 'idle': the raw graph run back to back for `windowMs()` (at least once), after
   * probes(). The host thread does nothing meanwhile, as during a raw run, but for as long as what
   * it is compared with (an inspection), so that both longest blocks come from windows of one length.
   */
  idleProbe(windowMs: () => number): Probe {
    return { name: 'idle', run: () => this.channel.request('run', { graph: 'raw', forMs: windowMs() }) };
  }

  async release(): Promise<void> {
    await this.channel.request('release', null);
  }

  async dispose(): Promise<void> {
    this.channel.close();
    if (this.worker instanceof Worker) await this.worker.terminate();
    else this.worker.kill();
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
