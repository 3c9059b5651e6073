// The engine process (bundled as dist/engine.js): a child of the extension host, so that a native
// crash in onnxruntime ends this process and not the editor. It answers the host's channel with the
// pipeline and exits when the host goes away or lets it go (the host disconnects it when idle).
import { Channel } from '../channel';
import type { EngineApi } from '../protocol';
import { AttentionStore } from './attentionStore';
import { engineHandlers } from './engineHandlers';
import { lowerEnginePriority } from './enginePriority';
import { Pipeline } from './pipeline';
import { processPort, type IpcEnd } from './processPort';
import { budgetBytes } from './storeBudget';

if (!process.send) throw new Error('The attention engine must be started by the extension host (child_process.fork).');

// Before onnxruntime starts its threads, so that they inherit it.
const priorityProblem = lowerEnginePriority();
if (priorityProblem) process.stderr.write(`${priorityProblem}\n`);

new Channel<Record<never, never>, EngineApi>(processPort(process as IpcEnd), engineHandlers(new Pipeline(), new AttentionStore(budgetBytes(undefined))));

process.on('disconnect', () => process.exit(0));
