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

const store = new AttentionStore(budgetBytes(undefined), attentionViews, collect);
new Channel<Record<never, never>, EngineApi>(processPort(process as IpcEnd), engineHandlers(new Pipeline(), store));

process.on('disconnect', () => process.exit(0));
