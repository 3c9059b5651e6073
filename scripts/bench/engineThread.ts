// Bench only: the engine as it was before it moved to a process of its own, a worker thread over
// the same pipeline and channel, so the bench can say what the process boundary costs.
import { parentPort } from 'node:worker_threads';
import { Channel } from '../../src/channel';
import { AttentionStore } from '../../src/engine/attentionStore';
import { engineHandlers } from '../../src/engine/engineHandlers';
import { Pipeline } from '../../src/engine/pipeline';
import { budgetBytes } from '../../src/engine/storeBudget';
import type { EngineApi } from '../../src/protocol';
import { threadPort } from './threadPort';

if (!parentPort) throw new Error('engineThread must run in a worker thread');

new Channel<Record<never, never>, EngineApi>(threadPort(parentPort), engineHandlers(new Pipeline(), new AttentionStore(budgetBytes(undefined))));
