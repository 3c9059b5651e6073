// What the process boundary alone costs: BERT-base-sized layers (12 layers of [12, T, T] float32)
// streamed to this thread from a worker thread (transferred) and from a child process (advanced
// serialisation, copied through the IPC pipe), whole or in the engine's slices (processPort.ts),
// with no model run around them to add noise.
import { fork } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import * as path from 'node:path';
import { Channel, type Port } from '../../src/channel';
import { processPort } from '../../src/engine/processPort';
import { bundleWorker } from './floorClient';
import { measureInterleaved, median, type Probe, type Warmup } from './stats';
import { threadPort } from './threadPort';

export type BoundaryApi = {
  layers: { params: { count: number; bytes: number }; result: null; event: ArrayBuffer };
};

export interface BoundaryRow {
  tokens: number;
  megabytes: number;
  threadMs: number;
  /** Each layer one message. */
  wholeMs: number;
  /** As the engine sends them: in slices. */
  processMs: number;
  threadHostBlockMs: number;
  wholeHostBlockMs: number;
  processHostBlockMs: number;
}

const LAYERS = 12;
const HEADS = 12;

/** Times streaming one inspection's layers at each T through a worker thread and a child process. */
export async function boundaryRows(tokens: number[], cacheDir: string, warmup: Warmup, runs: number): Promise<BoundaryRow[]> {
  const script = bundleWorker(path.join(__dirname, 'boundaryEcho.ts'), cacheDir);
  const worker = new Worker(script);
  const start = (env: Record<string, string>) =>
    fork(script, [], { serialization: 'advanced', execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: { ...process.env, ...env } });
  const whole = start({});
  const sliced = start({ BOUNDARY_SLICED: '1' });
  const wholePort: Port = {
    post: (message) => whole.send(message as never),
    listen: (listener) => {
      whole.on('message', listener);
      return () => whole.off('message', listener);
    },
  };
  const ends = {
    thread: new Channel<BoundaryApi>(threadPort(worker)),
    whole: new Channel<BoundaryApi>(wholePort),
    process: new Channel<BoundaryApi>(processPort(sliced)),
  };
  try {
    const rows: BoundaryRow[] = [];
    for (const T of tokens) {
      const bytes = HEADS * T * T * 4;
      const probe = (name: keyof typeof ends): Probe => ({
        name,
        run: async () => {
          let received = 0;
          const start = performance.now();
          await ends[name].request('layers', { count: LAYERS, bytes }, { onEvent: (buffer) => { received += buffer.byteLength; } });
          const ms = performance.now() - start;
          if (received !== LAYERS * bytes) throw new Error(`${name}: received ${received} of ${LAYERS * bytes} bytes`);
          return { ms };
        },
      });
      const { samples } = await measureInterleaved([probe('thread'), probe('whole'), probe('process')], warmup, runs);
      const ms = (name: string): number => median(samples.get(name)!.map((s) => s.ms));
      const block = (name: string): number => Math.max(...samples.get(name)!.map((s) => s.hostBlockMs ?? 0));
      rows.push({
        tokens: T, megabytes: (LAYERS * bytes) / 2 ** 20, threadMs: ms('thread'), wholeMs: ms('whole'), processMs: ms('process'),
        threadHostBlockMs: block('thread'), wholeHostBlockMs: block('whole'), processHostBlockMs: block('process'),
      });
    }
    return rows;
  } finally {
    for (const end of Object.values(ends)) end.close();
    await worker.terminate();
    whole.disconnect();
    sliced.disconnect();
  }
}
