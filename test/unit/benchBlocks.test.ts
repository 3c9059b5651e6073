// The bench's host-block figures: the longest delay past the watcher's 1 ms tick, and the same less
// whatever part of each delay the stall sentinel was held too (the whole machine stalled).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { blocksOf } from '../../scripts/bench/stats';

describe('host blocks against the stall sentinel', () => {
  it('a block the sentinel shared entirely is the machine\'s: nothing of it is the host\'s', () => {
    assert.deepEqual(blocksOf([[1000, 1041]], [[995, 1050]]), { hostBlockMs: 40, unsharedBlockMs: 0 });
  });

  it('only the part the sentinel shared is left out, however its gaps overlap one another', () => {
    // Host gap 100–160 (59 ms past the tick); sentinel held 110–130 and 120–140 (30 ms of it) and 170–180 (outside).
    const { hostBlockMs, unsharedBlockMs } = blocksOf([[100, 160], [300, 305]], [[110, 130], [120, 140], [170, 180]]);
    assert.equal(hostBlockMs, 59);
    assert.equal(unsharedBlockMs, 29);
  });

  it('with no sentinel gaps the two figures agree, and the longest block wins', () => {
    assert.deepEqual(blocksOf([[0, 10], [20, 45], [50, 53]], []), { hostBlockMs: 24, unsharedBlockMs: 24 });
  });

  it('no gaps: no block', () => {
    assert.deepEqual(blocksOf([], [[0, 100]]), { hostBlockMs: 0, unsharedBlockMs: 0 });
  });
});
