// The store yields before a view's long synchronous work: a view that must decode (float16) or
// recompute its layer first awaits the store's `settle` (in the engine: until the replies already
// answered have been written to the pipe), while views that need no layer are answered meanwhile.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { AttentionStore, type ViewShape, type ViewsFactory } from '../../src/engine/attentionStore';
import { processPort, type IpcEnd } from '../../src/engine/processPort';
import { layerBytes, meanBytes } from '../../src/engine/storeBudget';
import type { AttentionRequest } from '../../src/protocol';
import { randomLayer, randomSource } from './randomAttention';

const SHAPE = { layers: 3, heads: 4, T: 64 };
const VIEW_SHAPE: ViewShape = { ...SHAPE, special: Array<boolean>(SHAPE.T).fill(false) };

// 'row' reads its layer (head 0's row); any other request reads nothing and is answered at once.
const views: ViewsFactory = (shape, layer) => ({
  needs: (request) => (request.type === 'row' ? [request.choice.layer] : []),
  answer: (request) => {
    if (request.type !== 'row') return { type: 'topk', tokens: [], weights: [] };
    const data = layer(request.choice.layer);
    return { type: 'row', values: data.slice(request.token * shape.T, (request.token + 1) * shape.T).buffer };
  },
});
const row = (layer: number, token: number): AttentionRequest => ({ type: 'row', choice: { layer, aggregation: 'head', head: 0, hideSpecial: false }, token, received: false });
const CHEAP: AttentionRequest = { type: 'topk', choice: { layer: 0, aggregation: 'head', head: 0, hideSpecial: false }, token: 0, received: false, k: 3 };

function gate(): { settle: () => Promise<void>; open: () => void; asked: () => number } {
  let asked = 0;
  let open!: () => void;
  const opened = new Promise<void>((resolve) => { open = resolve; });
  return { settle: () => { asked++; return opened; }, open, asked: () => asked };
}

describe('the store settles before decoding or recomputing a layer', () => {
  const random = randomSource(7);
  const layers = Array.from({ length: SHAPE.layers }, () => randomLayer(random, SHAPE.heads, SHAPE.T));

  for (const mode of ['float16', 'recompute'] as const) {
    it(`${mode}: a view needing its layer waits for settle, one needing none is answered meanwhile`, async () => {
      const { settle, open, asked } = gate();
      // Float16: a byte short of what float32 keeps; recompute: nothing.
      const budget = mode === 'float16' ? SHAPE.layers * (layerBytes(SHAPE) + meanBytes(SHAPE, 'float32')) - 1 : 0;
      const store = new AttentionStore(budget, views, undefined, settle);
      const recomputed: number[] = [];
      assert.equal(store.open(1, VIEW_SHAPE, async (layer) => {
        recomputed.push(layer);
        return layers[layer];
      }), mode);
      layers.forEach((data, l) => store.put(1, l, data));
      store.end(1);
      const before = store.usage(1)!.bytes;

      const heavy = store.view(1, row(1, 5));
      const cheap = await store.view(1, CHEAP);
      assert.equal(cheap.type, 'topk', 'the view needing no layer was answered');
      assert.equal(asked(), 1, 'the view needing layer 1 is settling');
      assert.deepEqual(recomputed, [], 'nothing was recomputed before it settled');
      assert.equal(store.usage(1)!.bytes, before, 'nothing was decoded before it settled');

      open();
      const reply = await heavy;
      assert.ok(reply.type === 'row');
      const values = new Float32Array(reply.values);
      const expected = layers[1].subarray(5 * SHAPE.T, 6 * SHAPE.T);
      for (let k = 0; k < SHAPE.T; k++) assert.ok(Math.abs(values[k] - expected[k]) <= 1e-3, `key ${k}: ${values[k]} against ${expected[k]}`);
      assert.deepEqual(recomputed, mode === 'recompute' ? [1] : []);
      // At hand now: no settling again.
      await store.view(1, row(1, 9));
      assert.equal(asked(), 1);
    });
  }

  it('a view of an inspection released while it settled fails as evicted', async () => {
    const { settle, open } = gate();
    const store = new AttentionStore(0, views, undefined, settle);
    store.open(1, VIEW_SHAPE, async (layer) => layers[layer]);
    layers.forEach((data, l) => store.put(1, l, data));
    store.end(1);
    const heavy = store.view(1, row(0, 0));
    store.release(1);
    open();
    await assert.rejects(heavy, (err: Error & { code?: string }) => err.code === 'attention-evicted');
  });
});

describe('a process port says when what it posted has been written', () => {
  it('drained() resolves only once the pipe has written every message, large ones sliced included', async () => {
    const callbacks: ((error: Error | null) => void)[] = [];
    const sent: unknown[] = [];
    const end = Object.assign(new EventEmitter(), {
      connected: true,
      send(message: unknown, callback?: (error: Error | null) => void): boolean {
        sent.push(message);
        if (callback) callbacks.push(callback);
        return true;
      },
    }) as unknown as IpcEnd;
    const port = processPort(end);
    await port.drained(); // nothing posted: at once
    port.post({ small: 1 }, []);
    const big = new ArrayBuffer(3 * 2 ** 20 + 5);
    port.post({ big }, [big]);
    let drained = false;
    const waiting = port.drained().then(() => { drained = true; });
    assert.equal(sent.length, 1 + 4 + 1, 'one message, then four slices and the message that assembles them');
    for (const written of callbacks.slice(0, -1)) written(null);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(drained, false, 'one message is still being written');
    callbacks.at(-1)!(new Error('channel closed'));
    await waiting;
    assert.equal(drained, true);
  });
});
