// The host side of the engine: starts the engine process on first use, forwards inspections over
// the channel, and ends and restarts the process when it crashes, grows past its memory limit or
// stops answering. Nothing heavy happens here: the attention stays in the engine's store, and the
// host asks it for the views it shows (a row, the strongest keys, a pooled matrix).
import { fork, type ChildProcess } from 'node:child_process';
import { engineAllocatorEnv, engineExecArgv } from './engineMemory';
import { totalmem } from 'node:os';
import { Channel, ChannelError } from '../channel';
import type {
  AttentionReply, AttentionRequest, EngineApi, EngineErrorCode, GenerateParams, GenerationDone,
  InspectOptions, InspectionStarted, LoadStage,
  ReportRequest, StoreMode, Timings, WrittenStep,
} from '../protocol';
import { EngineError } from './errors';
import { describeStop, EngineStopped, type EngineStop } from './engineStop';
import { processPort } from './processPort';

export { describeStop, EngineStopped, type EngineStop } from './engineStop';

/** What one inspection produced; its attention stays in the engine's store, under the request's `inspection` id. */
export interface InspectionResult {
  started: InspectionStarted;
  timings: Timings;
  /** How the engine's store keeps the attention, the bytes it holds and those of its means over heads. */
  store: StoreMode;
  storeBytes: number;
  storeMeanBytes: number;
}

/** Callbacks for results as they stream in. */
export interface InspectionHandlers {
  onStarted?(started: InspectionStarted): void;
  /** What model loading is doing (only while a model loads). */
  onProgress?(stage: LoadStage): void;
  /** Layer `layer` is in the engine's store. */
  onLayer?(layer: number): void;
  /** A line for the output channel about how the model runs. */
  onLog?(message: string): void;
}

/** What an inspection and a continuation both report: loading, log lines and the tokens. */
type SharedHandlers = Pick<InspectionHandlers, 'onStarted' | 'onProgress' | 'onLog'>;

/** Callbacks for a continuation as it is written. */
export interface GenerationHandlers extends SharedHandlers {
  /**
   * New tokens, in order, as they are written (those written within one frame come together); the
   * engine's store already holds their attention rows.
   */
  onSteps?(steps: WrittenStep[]): void;
}

/** When the host ends the engine. */
export interface EngineLimits {
  /** An inspection that makes no progress (no loading stage, tokens, layer or result) for this long ends the engine. */
  timeoutMs: number;
  /** The engine's resident memory may not exceed this; 0 means three quarters of the machine's memory. */
  memoryLimitMB: number;
  /** The engine exits after this long without an inspection, returning its memory. */
  idleMs: number;
}

export const DEFAULT_LIMITS: EngineLimits = { timeoutMs: 300_000, memoryLimitMB: 0, idleMs: 10 * 60_000 };

export interface EngineClientOptions {
  /** Absolute path of the bundled engine (dist/engine.js). */
  enginePath: string;
  log?: (line: string) => void;
  /** Read at each inspection, so changed settings apply to the next one. */
  limits?: () => Partial<EngineLimits>;
  /**
   * The engine stopped without being asked to (or was ended by a limit). `restarted` says whether a
   * new one was started at once; `duringInspection` whether an inspection failed with it (its
   * promise rejects with EngineStopped, so the caller may already be telling the user).
   */
  onStopped?(stop: EngineStop, how: { restarted: boolean; duringInspection: boolean }): void;
}

interface Engine {
  child: ChildProcess;
  channel: Channel<EngineApi>;
  /** Set when the host ends the process itself: the limit it broke, or 'retired' (idle, disposed). */
  ending?: EngineStop | 'retired';
  stopped?: { stop: EngineStop; restarted: boolean };
}

// More unexpected stops than this within a minute: the next inspection starts the engine, not the crash.
const RESTARTS_PER_MINUTE = 3;

export class EngineClient {
  private engine: Engine | undefined;
  private current: { controller: AbortController; engine: Engine } | undefined;
  private limits: EngineLimits = DEFAULT_LIMITS;
  private lastHeard = 0;
  private watch: NodeJS.Timeout | undefined;
  private idle: NodeJS.Timeout | undefined;
  private checking = false;
  private stops: number[] = [];
  private disposed = false;

  constructor(private readonly options: EngineClientOptions) {}

  /** The engine process's id while one runs. */
  get pid(): number | undefined {
    return this.engine?.child.pid;
  }

  /** Runs an inspection; a newer call supersedes (rejects with code 'cancelled') any older one. */
  async inspect(request: InspectOptions, handlers: InspectionHandlers = {}): Promise<InspectionResult> {
    const { done, started } = await this.stream('inspect', request, handlers, (event) => handlers.onLayer?.(event.layer));
    return { started, timings: done.timings, store: done.store, storeBytes: done.storeBytes, storeMeanBytes: done.storeMeanBytes };
  }

  /**
   * Continues a text; like an inspection, it supersedes any older run and is cancelled by `cancel`.
   * The whole sequence's attention stays in the engine's store under `request.inspection`.
   */
  async generate(request: GenerateParams, handlers: GenerationHandlers = {}): Promise<GenerationDone & { started: InspectionStarted }> {
    const { done, started } = await this.stream('generate', request, handlers, (event) => handlers.onSteps?.(event.steps));
    return { ...done, started };
  }

  // One streamed run at a time, watched for progress and memory while it lasts. Loading stages, log
  // lines and the tokens go to `handlers`; the run's own events (layers, steps) to `onRun`.
  private async stream<M extends 'inspect' | 'generate'>(
    method: M, params: EngineApi[M]['params'], handlers: SharedHandlers,
    onRun: (event: Exclude<EngineApi[M]['event'], { type: 'progress' | 'log' | 'started' }>) => void,
  ): Promise<{ done: EngineApi[M]['result']; started: InspectionStarted }> {
    this.cancel();
    this.limits = { ...DEFAULT_LIMITS, ...this.options.limits?.() };
    const engine = this.ensureEngine();
    const controller = new AbortController();
    this.current = { controller, engine };
    this.stopIdle();
    this.startWatch(engine);
    let started: InspectionStarted | undefined;
    try {
      const done = await engine.channel.request(method, params, {
        signal: controller.signal,
        onEvent: (raw) => {
          this.lastHeard = performance.now();
          const event = raw as EngineApi[M]['event'];
          if (event.type === 'progress') handlers.onProgress?.(event.stage);
          else if (event.type === 'log') handlers.onLog?.(event.message);
          else if (event.type === 'started') {
            started = event;
            handlers.onStarted?.(event);
          } else onRun(event as Exclude<EngineApi[M]['event'], { type: 'progress' | 'log' | 'started' }>);
        },
      });
      if (!started) throw new EngineError('internal', 'The attention engine replied without any tokens.');
      return { done, started };
    } catch (err) {
      throw engineError(err, engine);
    } finally {
      if (this.current?.controller === controller) {
        this.current = undefined;
        this.stopWatch();
        this.startIdle();
      }
    }
  }

  /**
   * Asks the engine's store for a view of inspection `inspection`; waits for layers not computed yet.
   * Rejects with code 'attention-evicted' when the engine no longer keeps it (evicted, or the engine
   * stopped): the caller runs the inspection again.
   */
  async view(inspection: number, request: AttentionRequest, signal?: AbortSignal): Promise<AttentionReply> {
    const engine = this.liveEngine();
    try {
      return await engine.channel.request('view', { inspection, request }, { signal });
    } catch (err) {
      throw viewError(err, engine, inspection);
    }
  }

  /** The host no longer shows `inspection`: the engine's store lets its attention go. */
  release(inspection: number): void {
    const engine = this.engine;
    if (engine && !engine.ending) engine.channel.request('release', { inspection }).catch(() => undefined);
  }

  /** Has the engine write an inspection's report from its store; `onProgress` hears the fraction done. */
  async writeReport(request: ReportRequest, onProgress?: (fraction: number) => void, signal?: AbortSignal): Promise<number> {
    const engine = this.liveEngine();
    try {
      const { bytes } = await engine.channel.request('report', request, { signal, onEvent: (e) => onProgress?.(e.fraction) });
      return bytes;
    } catch (err) {
      throw viewError(err, engine, request.inspection);
    }
  }

  /** Cancels the inspection in flight; its promise rejects with code 'cancelled'. */
  cancel(): void {
    this.current?.controller.abort();
  }

  dispose(): void {
    this.disposed = true;
    this.cancel();
    this.stopWatch();
    this.stopIdle();
    const engine = this.engine;
    this.engine = undefined;
    if (engine) {
      engine.ending = 'retired';
      engine.channel.close();
      engine.child.kill();
    }
  }

  // The engine that holds the store; none running means nothing is kept. Asking counts as use.
  private liveEngine(): Engine {
    const engine = this.engine;
    if (!engine || engine.ending) throw evictedError();
    if (!this.current) this.startIdle();
    return engine;
  }

  private ensureEngine(): Engine {
    if (this.engine && !this.engine.ending) return this.engine; // one being ended takes no new work
    // The extension host's own runtime runs the engine: Node, or Electron acting as Node.
    const child = fork(this.options.enginePath, [], {
      serialization: 'advanced',
      execArgv: engineExecArgv(),
      env: { ...process.env, ...engineAllocatorEnv(), ELECTRON_RUN_AS_NODE: '1' },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    const engine: Engine = { child, channel: new Channel<EngineApi>(processPort(child)) };
    child.stderr?.setEncoding('utf8').on('data', (text: string) => {
      for (const line of text.split('\n')) if (line.trim()) this.options.log?.(`engine: ${line}`);
    });
    child.on('exit', (code, signal) => this.lost(engine, code, signal));
    child.on('error', (err) => {
      this.options.log?.(`engine process error: ${err.message}`);
      // A process that never started has no exit to report.
      if (child.pid === undefined) this.lost(engine, null, null);
    });
    this.engine = engine;
    this.options.log?.(`engine process ${child.pid} started (${this.options.enginePath})`);
    return engine;
  }

  private lost(engine: Engine, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.engine === engine) this.engine = undefined;
    const stop: EngineStop = engine.ending && engine.ending !== 'retired' ? engine.ending : { kind: 'crashed', code, signal };
    const duringInspection = this.current?.engine === engine;
    const retired = engine.ending === 'retired' || this.disposed;
    const now = performance.now();
    if (!retired) this.stops = [...this.stops.filter((t) => now - t < 60_000), now];
    const restarted = !retired && this.stops.length <= RESTARTS_PER_MINUTE;
    engine.stopped = { stop, restarted };
    engine.channel.close(new ChannelError('engine-stopped', `The attention engine stopped (${describeStop(stop)}).`));
    if (retired) {
      this.options.log?.(`engine process ${engine.child.pid} exited (${describeStop(stop)})`);
      return;
    }
    this.options.log?.(`engine process ${engine.child.pid} stopped: ${describeStop(stop)}${restarted ? '; restarting it' : ''}`);
    if (restarted) {
      this.ensureEngine();
      this.startIdle();
    }
    this.options.onStopped?.(stop, { restarted, duringInspection });
  }

  /** Ends the engine for breaking a limit; its exit reports `stop`. */
  private end(engine: Engine, stop: EngineStop): void {
    if (engine.ending) return;
    engine.ending = stop;
    engine.child.kill('SIGKILL');
  }

  // While an inspection runs: it must keep making progress (a stuck native run answers memory checks
  // but streams nothing), and the engine must stay within its memory.
  private startWatch(engine: Engine): void {
    this.stopWatch();
    this.lastHeard = performance.now();
    const { timeoutMs, memoryLimitMB } = this.limits;
    const limitMB = memoryLimitMB > 0 ? memoryLimitMB : Math.floor((totalmem() * 0.75) / 2 ** 20);
    const check = (): void => {
      if (performance.now() - this.lastHeard > timeoutMs) return this.end(engine, { kind: 'timeout', seconds: timeoutMs / 1000 });
      if (this.checking) return;
      this.checking = true;
      engine.channel.request('usage', null).then((usage) => {
        const usedMB = usage.rss / 2 ** 20;
        if (usedMB > limitMB) this.end(engine, { kind: 'memory', usedMB: Math.round(usedMB), limitMB });
      }, () => undefined).finally(() => {
        this.checking = false;
      });
    };
    check();
    this.watch = setInterval(check, Math.min(2_000, Math.max(100, timeoutMs / 4)));
    this.watch.unref();
  }

  private stopWatch(): void {
    clearInterval(this.watch);
    this.watch = undefined;
  }

  private startIdle(): void {
    this.stopIdle();
    const engine = this.engine;
    if (!engine) return;
    this.idle = setTimeout(() => {
      if (this.engine !== engine || this.current) return;
      this.engine = undefined;
      engine.ending = 'retired';
      this.options.log?.(`engine process ${engine.child.pid} idle for ${(this.limits.idleMs / 60_000).toFixed(1)} min: letting it exit`);
      engine.child.disconnect(); // the engine exits when its channel to the host closes
      setTimeout(() => engine.child.kill('SIGKILL'), 5_000).unref();
    }, this.limits.idleMs);
    this.idle.unref();
  }

  private stopIdle(): void {
    clearTimeout(this.idle);
    this.idle = undefined;
  }
}

function evictedError(detail?: string): EngineError {
  return new EngineError('attention-evicted', 'The attention of this inspection is no longer kept in memory. Run the inspection again.', detail);
}

// A view's failure: a stopped engine took the store with it, which the caller treats as eviction.
function viewError(err: unknown, engine: Engine, inspection: number): EngineError {
  if (err instanceof ChannelError && err.code === 'cancelled') return new EngineError('cancelled', 'The request was cancelled.');
  if (err instanceof ChannelError && err.code === 'engine-stopped') return evictedError(`inspection ${inspection}: ${err.message}`);
  return engineError(err, engine);
}

function engineError(err: unknown, engine: Engine): EngineError {
  if (err instanceof EngineError) return err;
  if (!(err instanceof ChannelError)) return new EngineError('internal', String(err));
  if (err.code === 'engine-stopped' && engine.stopped) return new EngineStopped(engine.stopped.stop, engine.stopped.restarted);
  if (err.code === 'cancelled') return new EngineError('cancelled', 'The inspection was superseded by a newer one.');
  return new EngineError(err.code as EngineErrorCode, err.message, err.detail);
}
