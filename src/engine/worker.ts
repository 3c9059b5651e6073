// The engine's worker thread: loads models, runs them and streams attention back one layer per
// message, transferring each layer's buffer so the host thread never copies or parses matrices.
import { parentPort } from 'node:worker_threads';
import type { HostToWorker, InspectRequest, LoadStage, WorkerToHost } from '../protocol';
import { AttentionModel } from './attentionModel';
import { EngineError, toEngineError } from './errors';

const DEFAULT_MAX_TOKENS = 512;

const port = parentPort;
if (!port) throw new Error('The attention engine must run in a worker thread.');

let loaded: { key: string; model: Promise<AttentionModel> } | undefined;
const cancelled = new Set<number>();
// Requests run one after another: a newer one waits for the session rather than competing for it.
let queue: Promise<void> = Promise.resolve();

function send(message: WorkerToHost, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(message, transfer);
}

async function modelFor(request: InspectRequest): Promise<{ model: AttentionModel; loadMs: number }> {
  const key = `${request.model}\0${request.provider ?? 'auto'}\0${request.precision ?? 'auto'}`;
  if (loaded?.key !== key) {
    const previous = loaded?.model;
    const progress = (stage: LoadStage): void => send({ type: 'progress', inReplyTo: request.id, stage });
    loaded = { key, model: AttentionModel.load(request.model, request.provider ?? 'auto', request.cacheDir, progress, request.precision) };
    previous?.then((m) => m.dispose()).catch(() => undefined);
    const start = performance.now();
    try {
      const model = await loaded.model;
      return { model, loadMs: performance.now() - start };
    } catch (err) {
      loaded = undefined; // a failed load is retried next time (the file may have been fixed)
      throw err;
    }
  }
  return { model: await loaded.model, loadMs: 0 };
}

async function inspect(request: InspectRequest): Promise<void> {
  const id = request.id;
  const t0 = performance.now();
  const stillWanted = (): void => {
    if (cancelled.has(id)) throw new EngineError('cancelled', 'The inspection was superseded by a newer one.');
  };
  try {
    stillWanted();
    const { model, loadMs } = await modelFor(request);
    stillWanted();
    const t1 = performance.now();
    const maxTokens = request.maxTokens ?? DEFAULT_MAX_TOKENS;
    const encoded = model.encode(request.text, maxTokens);
    const tokenizeMs = performance.now() - t1;
    const warnings: string[] = [];
    if (encoded.truncatedFrom !== undefined) {
      warnings.push(`The text has ${encoded.truncatedFrom} tokens; only the first ${maxTokens} were inspected (maxTokens).`);
    }
    const T = encoded.tokens.length;
    const started = (heads: number): void => send({
      type: 'started', inReplyTo: id, model: { ...model.info, heads }, tokens: encoded.tokens,
      provider: model.provider, attempts: model.attempts, warnings, truncatedFrom: encoded.truncatedFrom,
    });
    // Tokens go out before the run when config.json gives the head count, so the host can show
    // them while a large model is still running; otherwise the first layer's shape tells.
    if (model.info.heads) started(model.info.heads);
    const t2 = performance.now();
    const layers = await model.run(encoded);
    const runMs = performance.now() - t2;
    stillWanted();
    const heads = model.info.heads || model.headsOf(layers[0], T);
    if (!model.info.heads) started(heads);
    layers.forEach((data, layer) => {
      // onnxruntime hands back a fresh buffer per output; transfer it whole when it is exactly the
      // layer, and copy only in the unexpected case that it is a view into something larger.
      const buffer = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength
        ? data.buffer as ArrayBuffer : data.slice().buffer;
      send({ type: 'layer', inReplyTo: id, layer, heads, tokens: T, data: buffer }, [buffer]);
    });
    send({ type: 'done', inReplyTo: id, timings: { tokenizeMs, loadMs, runMs, totalMs: performance.now() - t0 } });
  } catch (err) {
    const e = toEngineError(err);
    send({ type: 'error', inReplyTo: id, code: e.code, message: e.message, detail: e.detail });
  } finally {
    cancelled.delete(id);
  }
}

port.on('message', (message: HostToWorker) => {
  switch (message.type) {
    case 'inspect':
      queue = queue.then(() => inspect(message));
      break;
    case 'cancel':
      cancelled.add(message.id);
      break;
    case 'crash':
      process.exit(70);
  }
});
