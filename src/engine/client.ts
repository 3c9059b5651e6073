import { Worker } from 'node:worker_threads';
import type {
  HostToWorker, InspectOptions, InspectionStarted, LayerAttention, LoadStage, Timings, WorkerToHost,
} from '../protocol';
import { EngineError } from './errors';

/** Everything one inspection produced. */
export interface InspectionResult {
  started: InspectionStarted;
  /** Per layer, Float32 [heads][T][T]. */
  layers: Float32Array[];
  timings: Timings;
}

/** Callbacks for results as they stream in. */
export interface InspectionHandlers {
  onStarted?(started: InspectionStarted): void;
  /** What model loading is doing (only while a model loads). */
  onProgress?(stage: LoadStage): void;
  onLayer?(layer: LayerAttention, data: Float32Array): void;
}

interface Pending {
  handlers: InspectionHandlers;
  started?: InspectionStarted;
  layers: Float32Array[];
  resolve(result: InspectionResult): void;
  reject(err: EngineError): void;
}

export interface EngineClientOptions {
  /** Absolute path of the bundled worker (dist/worker.js). */
  workerPath: string;
  log?: (line: string) => void;
}

/** The host side of the engine: starts the worker on first use, restarts it after a crash. */
export class EngineClient {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(private readonly options: EngineClientOptions) {}

  /** Runs an inspection; a newer call supersedes (rejects with code 'cancelled') any older one. */
  inspect(request: InspectOptions, handlers: InspectionHandlers = {}): Promise<InspectionResult> {
    this.cancel();
    const id = this.nextId++;
    const worker = this.ensureWorker();
    return new Promise<InspectionResult>((resolve, reject) => {
      this.pending.set(id, { handlers, layers: [], resolve, reject });
      this.post(worker, { ...request, type: 'inspect', id });
    });
  }

  /** Cancels every inspection in flight; their promises reject with code 'cancelled'. */
  cancel(): void {
    for (const [id, pending] of this.pending) {
      this.pending.delete(id);
      if (this.worker) this.post(this.worker, { type: 'cancel', id });
      pending.reject(new EngineError('cancelled', 'The inspection was superseded by a newer one.'));
    }
  }

  /** Test hook: makes the worker die as a native crash would. */
  crashForTesting(): void {
    if (this.worker) this.post(this.worker, { type: 'crash', id: 0 });
  }

  dispose(): void {
    this.cancel();
    void this.worker?.terminate();
    this.worker = undefined;
  }

  private post(worker: Worker, message: HostToWorker): void {
    worker.postMessage(message);
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(this.options.workerPath);
    worker.on('message', (message: WorkerToHost) => this.receive(message));
    worker.on('error', (err) => this.lost(worker, `error: ${err.stack ?? err.message}`));
    worker.on('exit', (code) => this.lost(worker, `exit code ${code}`));
    this.worker = worker;
    this.options.log?.(`engine worker started (${this.options.workerPath})`);
    return worker;
  }

  private lost(worker: Worker, why: string): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    this.options.log?.(`engine worker stopped: ${why}`);
    for (const [id, pending] of this.pending) {
      this.pending.delete(id);
      pending.reject(new EngineError('worker-crashed',
        'The attention engine stopped unexpectedly. It restarts on the next inspection; see the output channel for details.', why));
    }
  }

  private receive(message: WorkerToHost): void {
    const pending = this.pending.get(message.inReplyTo);
    if (!pending) return; // a superseded request: its results are never shown
    switch (message.type) {
      case 'started':
        pending.started = message;
        pending.handlers.onStarted?.(message);
        break;
      case 'progress':
        pending.handlers.onProgress?.(message.stage);
        break;
      case 'layer': {
        const data = new Float32Array(message.data);
        pending.layers[message.layer] = data;
        pending.handlers.onLayer?.(message, data);
        break;
      }
      case 'done':
        this.pending.delete(message.inReplyTo);
        pending.resolve({ started: pending.started!, layers: pending.layers, timings: message.timings });
        break;
      case 'error':
        this.pending.delete(message.inReplyTo);
        pending.reject(new EngineError(message.code, message.message, message.detail));
        break;
    }
  }
}
