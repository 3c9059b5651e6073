// The scale bench's binary view replies: what the bench sends is what the page rebuilds, buffers aligned for typed views.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeReply, encodeReply } from '../../scripts/bench/replyWire';
import type { AttentionReply } from '../../src/protocol';

describe('bench reply wire', () => {
  it('round-trips a reply with several buffers of odd lengths', () => {
    const head = Int32Array.of(0, 1, 2).buffer;
    const weight = Float32Array.of(0.5, 0.25, 0.125).buffer;
    const reply: AttentionReply = { type: 'links', head, query: Int32Array.of(3, 4, 5).buffer, key: new ArrayBuffer(0), weight, thinned: true };
    const body = encodeReply(reply);
    const back = decodeReply(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer);
    assert.equal(back.type, 'links');
    if (back.type !== 'links') return;
    assert.deepEqual([...new Int32Array(back.head)], [0, 1, 2]);
    assert.deepEqual([...new Int32Array(back.query)], [3, 4, 5]);
    assert.equal(back.key.byteLength, 0);
    assert.deepEqual([...new Float32Array(back.weight)], [0.5, 0.25, 0.125]);
    assert.equal(back.thinned, true);
  });

  it('carries replies without buffers as their JSON', () => {
    const reply: AttentionReply = { type: 'topk', tokens: [3, 1], weights: [0.75, 0.25] };
    const body = encodeReply(reply);
    assert.deepEqual(decodeReply(body.buffer as ArrayBuffer), reply);
    assert.ok(body.byteLength < 64, `${body.byteLength} bytes`);
  });
});
