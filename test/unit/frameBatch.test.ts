// FrameBatch: what the engine uses so the host wakes at most once a frame while a model writes.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FrameBatch } from '../../src/engine/frameBatch';

describe('FrameBatch', () => {
  it('sends the first item at once, and items within the frame after it together, in order, at the frame\'s end', async () => {
    let clock = 0;
    const sent: { items: number[]; at: number }[] = [];
    let arrived!: () => void;
    const second = new Promise<void>((resolve) => { arrived = resolve; });
    const batch = new FrameBatch<number>((items) => {
      sent.push({ items, at: clock });
      if (sent.length === 2) arrived();
    }, 20, () => clock);
    batch.push(1);
    assert.deepEqual(sent, [{ items: [1], at: 0 }]);
    clock = 5;
    batch.push(2);
    clock = 9;
    batch.push(3);
    assert.equal(sent.length, 1, 'items within the frame wait');
    clock = 20;
    await second;
    assert.deepEqual(sent[1], { items: [2, 3], at: 20 });
  });

  it('sends an item that comes a frame or more after the last send at once', () => {
    let clock = 100;
    const sent: number[][] = [];
    const batch = new FrameBatch<string>((items) => sent.push(items.map((s) => s.length)), 16, () => clock);
    batch.push('a');
    clock = 116;
    batch.push('bb');
    clock = 140;
    batch.push('ccc');
    assert.deepEqual(sent, [[1], [2], [3]]);
  });

  it('flush sends what waits now, and nothing twice', () => {
    let clock = 0;
    const sent: number[][] = [];
    const batch = new FrameBatch<number>((items) => sent.push(items), 16, () => clock);
    batch.push(1);
    clock = 1;
    batch.push(2);
    batch.push(3);
    batch.flush();
    batch.flush();
    assert.deepEqual(sent, [[1], [2, 3]]);
  });
});
