// The view state's rules, which the presenter and the panel's page share: a stored state is
// repaired, a reported one is checked strictly, and the editor paints the head the state names.
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ViewState } from '../../src/protocol';
import { checkViewState, DEFAULT_VIEW_STATE, headChoice, sameViewState, sanitizeViewState } from '../../src/viewState';

const BOUNDS = { layers: 2, heads: 8, tokens: 12 };
const CHOSEN: ViewState = { layer: 1, head: 5, aggregation: 'max', received: true, hideSpecial: true, hiddenHeads: [2, 6], locked: 7 };

test('a stored state survives as it was when the inspection has room for it', () => {
  assert.deepEqual(sanitizeViewState(CHOSEN, BOUNDS), CHOSEN);
  assert.deepEqual(sanitizeViewState(JSON.parse(JSON.stringify(CHOSEN))), CHOSEN);
});

test('a state from a larger model is clamped into a smaller one; a lock outside its tokens is dropped', () => {
  const smaller = sanitizeViewState({ ...CHOSEN, layer: 11, head: 11, hiddenHeads: [1, 9, 1], locked: 40 }, { layers: 4, heads: 4, tokens: 20 });
  assert.deepEqual(smaller, { ...CHOSEN, layer: 3, head: 3, hiddenHeads: [1], locked: null });
});

test('garbage becomes the default state', () => {
  for (const garbage of [undefined, null, 3, 'x', { layer: -1, head: 0.5, aggregation: 'median', hiddenHeads: 'no', locked: -2 }]) {
    assert.deepEqual(sanitizeViewState(garbage), DEFAULT_VIEW_STATE, JSON.stringify(garbage));
  }
});

test('a reported state outside the model is refused, not clamped', () => {
  assert.deepEqual(checkViewState(CHOSEN, BOUNDS), CHOSEN);
  for (const bad of [
    { ...CHOSEN, layer: 2 }, { ...CHOSEN, layer: 0.5 }, { ...CHOSEN, head: 8 }, { ...CHOSEN, head: -1 }, { ...CHOSEN, aggregation: 'median' },
    { ...CHOSEN, locked: 12 }, { ...CHOSEN, hiddenHeads: [8] }, { layer: 0 }, null, 'mean',
  ]) {
    assert.equal(checkViewState(bad, BOUNDS), undefined, JSON.stringify(bad));
  }
});

test('the editor paints the head, or the aggregate over heads, the state names', () => {
  assert.equal(headChoice({ ...CHOSEN, aggregation: 'head' }), 5);
  for (const aggregation of ['mean', 'max', 'rollout'] as const) assert.equal(headChoice({ ...CHOSEN, aggregation }), aggregation);
});

test('two states are the same when every field is', () => {
  assert.ok(sameViewState(CHOSEN, { ...CHOSEN, hiddenHeads: [2, 6] }));
  for (const change of [{ layer: 0 }, { head: 1 }, { aggregation: 'mean' as const }, { received: false }, { hideSpecial: false }, { hiddenHeads: [2] }, { locked: null }]) {
    assert.ok(!sameViewState(CHOSEN, { ...CHOSEN, ...change }), JSON.stringify(change));
  }
});
