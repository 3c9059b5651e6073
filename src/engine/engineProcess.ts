// The engine process (bundled as dist/engine.js): a child of the extension host, so that a native
// crash in onnxruntime ends this process and not the editor. It answers the host's channel with the
// pipeline and exits when the host goes away or lets it go (the host disconnects it when idle).
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Channel } from '../channel';
import type { EngineApi } from '../protocol';
import { AttentionStore, attentionViews } from './attentionStore';
import { engineHandlers } from './engineHandlers';
import { lowerEnginePriority } from './enginePriority';
import { Pipeline } from './pipeline';
import { processPort, type IpcEnd } from './processPort';
import { budgetBytes } from './storeBudget';

if (!process.send) throw new Error('The attention engine must be started by the extension host (child_process.fork).');

// Before onnxruntime starts its threads, so that they inherit it.
const priorityProblem = lowerEnginePriority();
if (priorityProblem) process.stderr.write(`${priorityProblem}\n`);

// V8's gc(), for the store to free a dropped layer (hundreds of MB) soon rather than at the next
// collection, which on a busy machine came after onnxruntime had computed another layer beside it.
// It runs at the next turn of the event loop, once whoever handed the store a layer has let go of it
// (onnxruntime is computing the next layer by then, on its own threads), and once however many ask.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
let collecting = false;
const collect = (): void => {
  if (collecting) return;
  collecting = true;
  setImmediate(() => {
    collecting = false;
    gc();
  });
};

// Before a view decodes or recomputes a layer (synchronous work of up to seconds), the requests that
// come with it are answered and their replies written out. The panel asks for several views at once
// (on a layer change, the matrix and the head view's lines), and they reach this process a few
// milliseconds apart; a reply larger than the pipe's buffer (a pooled matrix is 1–1.5 MB) is written
// only while the event loop turns. Without this the mean view, answered in milliseconds from the
// kept means, waited for the lines' layer: 3–4.5 s at 4096 tokens of a 0.5B model.
const port = processPort(process as IpcEnd);
/** How long a view that must decode or recompute a layer leaves for the requests that come with it. */
const GRACE_MS = 10;
const settle = async (): Promise<void> => {
  await new Promise<void>((resolve) => setTimeout(resolve, GRACE_MS));
  await port.drained();
};
const store = new AttentionStore(budgetBytes(undefined), attentionViews, collect, settle);
new Channel<Record<never, never>, EngineApi>(port, engineHandlers(new Pipeline(), store));

process.on('disconnect', () => process.exit(0));
