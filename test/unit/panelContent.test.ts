// What the panel shows, as the presenter holds it: a page that loads at any moment (first open,
// shown again after being hidden, window reload) is given the same inspection, layers, view state,
// status and focus as a page that watched it all stream in.
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { PanelContent } from '../../src/host/panelContent';
import type { PanelInspection, PanelUpdate, ViewState } from '../../src/protocol';
import { DEFAULT_VIEW_STATE } from '../../src/viewState';

const HEADS = 2;
const T = 3;

function inspection(id: number, layers = 2, tokens = T): PanelInspection {
  return {
    id, text: 'a b c', provider: 'cpu', warnings: [], modelSetting: 'some/model', source: { uri: 'file:///story.txt', start: 4 },
    model: { id: 'tiny', layers, heads: HEADS, causal: true, precision: 'fp32' },
    tokens: Array.from({ length: tokens }, (_, i) => ({ id: i, text: 'abc'[i] ?? 'x', start: 2 * i, end: 2 * i + 1, special: false })),
  };
}

const timings = { tokenizeMs: 1, loadMs: 2, runMs: 3, totalMs: 6 };

/** A page: what it shows after applying `updates` in order, as the panel's script does. */
function pageAfter(updates: PanelUpdate[]) {
  const page = { inspection: undefined as number | undefined, layers: new Set<number>(), done: false, view: undefined as ViewState | undefined,
    status: undefined as string | undefined, focus: null as number | null, saved: undefined as unknown };
  for (const u of updates) {
    switch (u.type) {
      case 'inspection': page.inspection = u.inspection.id; page.layers.clear(); page.done = false; page.view = u.view; page.status = undefined; break;
      case 'layer': if (u.id === page.inspection) page.layers.add(u.layer); break;
      case 'done': if (u.id === page.inspection) page.done = true; break;
      case 'view': page.view = u.view; break;
      case 'busy': page.status = `busy: ${u.title}`; break;
      case 'failed': page.status = `failed: ${u.message}`; break;
      case 'restoring': page.status = `restoring ${u.modelId}`; break;
      case 'focusToken': page.focus = u.index; break;
      case 'save': page.saved = u.state; break;
    }
  }
  return page;
}

test('a page that loads at any moment shows what a page that watched from the start shows', () => {
  const content = new PanelContent();
  const watched: PanelUpdate[] = [...content.snapshot()];
  const steps: (() => PanelUpdate[])[] = [
    () => content.busy('Running tiny…'),
    () => content.begin(inspection(1)),
    () => content.layer(1, 0),
    // The watching page changed this itself; the presenter answers only with what to save.
    () => {
      const view: ViewState = { ...DEFAULT_VIEW_STATE, layer: 1, aggregation: 'max', locked: 2 };
      return [{ type: 'view', view }, ...content.report(view) ?? []];
    },
    () => content.layer(1, 1),
    () => content.done(1, timings),
    () => content.focusToken(1),
    () => content.busy('Running tiny again…'),
    () => content.layer(7, 0),
    () => content.failed('The inspection was cancelled.'),
  ];
  for (const step of steps) {
    watched.push(...step());
    assert.deepEqual(pageAfter(content.snapshot()), pageAfter(watched));
  }
  const shown = pageAfter(watched);
  assert.equal(shown.inspection, 1);
  assert.deepEqual([...shown.layers].sort(), [0, 1], "layer notices only: the page asks the engine for their views");
  assert.ok(shown.done);
  assert.deepEqual(shown.view, { ...DEFAULT_VIEW_STATE, layer: 1, aggregation: 'max', locked: 2 });
  assert.equal(shown.status, 'failed: The inspection was cancelled.');
  assert.equal(shown.focus, 1);
});

test('a view state the inspection does not have is refused; the same one again changes nothing', () => {
  const content = new PanelContent();
  assert.equal(content.report({ ...DEFAULT_VIEW_STATE, layer: 1 }), undefined, 'nothing is shown yet');
  content.begin(inspection(1));
  assert.equal(content.report({ ...DEFAULT_VIEW_STATE, layer: 2 }), undefined);
  assert.equal(content.report({ ...DEFAULT_VIEW_STATE, locked: T }), undefined);
  assert.deepEqual(content.view, DEFAULT_VIEW_STATE);
  const chosen = { ...DEFAULT_VIEW_STATE, head: 1, hiddenHeads: [0] };
  assert.equal(content.report(chosen)?.length, 1, 'a change is saved');
  assert.deepEqual(content.report({ ...chosen }), []);
});

test('a new inspection keeps the view state where the new model allows', () => {
  const content = new PanelContent();
  content.begin(inspection(1, 4, 5));
  content.report({ ...DEFAULT_VIEW_STATE, layer: 3, head: 1, aggregation: 'rollout', locked: 4 });
  const before = content.view;
  content.begin(inspection(2, 4, 5));
  assert.equal(content.view, before, 'the same model: the same state');
  content.begin(inspection(3, 2, 3));
  assert.deepEqual(content.view, { ...DEFAULT_VIEW_STATE, layer: 1, head: 1, aggregation: 'rollout', locked: null });
});

test('after a window reload: the saved view at once, "restoring" and the saved text kept until the inspection runs again', () => {
  const first = new PanelContent();
  first.begin(inspection(1));
  first.report({ ...DEFAULT_VIEW_STATE, layer: 1, head: 1, locked: 0 });
  const saved = pageAfter(first.snapshot()).saved;

  const content = new PanelContent();
  const summary = content.restore(saved);
  assert.deepEqual(summary, { text: 'a b c', modelId: 'tiny', modelSetting: 'some/model', provider: 'cpu', source: { uri: 'file:///story.txt', start: 4 } });
  const page = pageAfter(content.snapshot());
  assert.equal(page.status, 'restoring tiny');
  assert.deepEqual(page.view, { ...DEFAULT_VIEW_STATE, layer: 1, head: 1, locked: 0 });
  assert.deepEqual(page.saved, saved, 'a second reload meanwhile still has the text to run');

  const again = pageAfter(content.begin(inspection(9)));
  assert.deepEqual(again.view, { ...DEFAULT_VIEW_STATE, layer: 1, head: 1, locked: 0 });
  assert.equal(pageAfter(content.snapshot()).status, undefined);
});

test('a reload brings back the window that was on screen, not the first', () => {
  const first = new PanelContent();
  const window = { index: 2, count: 4, firstToken: 600, endToken: 1112, textTokens: 2000, start: 2400, end: 4450 };
  first.begin({ ...inspection(1), window });
  const saved = pageAfter(first.snapshot()).saved;
  assert.equal(new PanelContent().restore(saved)?.window, 2);
  // Without windows, nothing is saved for one.
  const plain = new PanelContent();
  plain.begin(inspection(2));
  assert.equal(new PanelContent().restore(pageAfter(plain.snapshot()).saved)?.window, undefined);
});

test('a saved state without text restores nothing', () => {
  for (const state of [undefined, null, 'x', {}, { inspection: { text: '' } }, { inspection: 'x' }]) {
    const content = new PanelContent();
    assert.equal(content.restore(state), undefined, JSON.stringify(state));
    assert.equal(pageAfter(content.snapshot()).status, undefined);
  }
});
