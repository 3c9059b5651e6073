// The request/reply channel over a real MessageChannel (the transport a worker thread uses): replies,
// streamed events, errors with codes, cancellation both ways, closing, and transferred buffers.
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { Channel, ChannelError, Transfer, type Port } from '../../src/channel';

function portOf(end: MessagePort): Port {
  return {
    post: (message, transfer) => end.postMessage(message, transfer),
    listen: (listener) => {
      end.on('message', listener);
      return () => end.off('message', listener);
    },
  };
}

type EngineApi = {
  sum: { params: { values: number[] }; result: number };
  layers: { params: { count: number }; result: { done: number }; event: { layer: number; data: ArrayBuffer } };
  fail: { params: Record<string, never>; result: never };
  wait: { params: Record<string, never>; result: string };
  echoBuffer: { params: { data: ArrayBuffer }; result: ArrayBuffer };
};

function pair() {
  const { port1, port2 } = new MessageChannel();
  let waitAborted: Promise<string> | undefined;
  const engine = new Channel<Record<never, never>, EngineApi>(portOf(port2), {
    sum: ({ values }) => values.reduce((a, b) => a + b, 0),
    layers: async ({ count }, { emit }) => {
      for (let layer = 0; layer < count; layer++) {
        const data = new Float32Array([layer, layer + 0.5]).buffer;
        emit({ layer, data }, [data]);
      }
      return { done: count };
    },
    fail: () => {
      throw new ChannelError('no-attention', 'This model has no attention.', 'graph has 0 Softmax');
    },
    wait: (_params, { signal }) => {
      waitAborted = new Promise((resolve) => signal.addEventListener('abort', () => resolve('aborted')));
      return new Promise<string>(() => undefined);
    },
    echoBuffer: ({ data }) => new Transfer(data, [data]),
  });
  const host = new Channel<EngineApi>(portOf(port1));
  const close = () => {
    host.close();
    engine.close();
    port1.close();
  };
  return { host, engine, close, waitAborted: () => waitAborted };
}

test('a request gets its reply', async () => {
  const { host, close } = pair();
  assert.equal(await host.request('sum', { values: [1, 2, 3.5] }), 6.5);
  close();
});

test('events stream in order before the reply, with their buffers', async () => {
  const { host, close } = pair();
  const seen: number[][] = [];
  const result = await host.request('layers', { count: 3 }, {
    onEvent: (event) => seen.push([event.layer, ...new Float32Array(event.data)]),
  });
  assert.deepEqual(result, { done: 3 });
  assert.deepEqual(seen, [[0, 0, 0.5], [1, 1, 1.5], [2, 2, 2.5]]);
  close();
});

test('an error keeps its code, message and detail', async () => {
  const { host, close } = pair();
  await assert.rejects(host.request('fail', {}), (err: ChannelError) =>
    err instanceof ChannelError && err.code === 'no-attention' && err.message === 'This model has no attention.' && err.detail === 'graph has 0 Softmax');
  close();
});

test('an unknown method is refused by name', async () => {
  const { host, close } = pair();
  await assert.rejects((host as unknown as Channel<{ nope: { params: null; result: null } }>).request('nope', null),
    (err: ChannelError) => err.code === 'unknown-method' && /nope/.test(err.message));
  close();
});

test('cancelling rejects at once and aborts the handler on the other end', async () => {
  const { host, close, waitAborted } = pair();
  const controller = new AbortController();
  const reply = host.request('wait', {}, { signal: controller.signal });
  // The handler has started once the other end holds its abort promise.
  while (!waitAborted()) await new Promise((resolve) => setImmediate(resolve));
  controller.abort();
  await assert.rejects(reply, (err: ChannelError) => err.code === 'cancelled');
  assert.equal(await waitAborted(), 'aborted');
  assert.equal(host.inFlight, 0);
  close();
});

test('closing fails the requests in flight with the reason, and later ones too', async () => {
  const { host, close } = pair();
  const reply = host.request('wait', {});
  host.close(new ChannelError('engine-stopped', 'The attention engine stopped.'));
  await assert.rejects(reply, (err: ChannelError) => err.code === 'engine-stopped');
  await assert.rejects(host.request('sum', { values: [1] }), (err: ChannelError) => err.code === 'engine-stopped');
  close();
});

test('buffers in the transfer list move instead of being copied', async () => {
  const { host, close } = pair();
  const data = new Float32Array([1, 2, 3]).buffer;
  const back = await host.request('echoBuffer', { data }, { transfer: [data] });
  assert.equal(data.byteLength, 0, 'the sender no longer holds the buffer');
  assert.deepEqual([...new Float32Array(back)], [1, 2, 3]);
  close();
});
