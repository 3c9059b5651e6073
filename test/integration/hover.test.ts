// Hover cards and highlights: the card lists the five tokens a token attends to most, with the
// engine's weights under the panel's view state, and hovering paints them with graded opacity.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { EditorProbe } from '../../src/host/probe';
import { inspect, openFixture, select, shown } from './helpers';
import {
  assertCardMatches, closeWithoutSaving, current, expectedBuckets, expectedTop5, hoverCard, paintedBuckets, probe, tokenIndex, tokenStart,
  viewOf, withSetting,
} from './lens';

describe('Hover', function () {
  this.timeout(120_000);
  let p: EditorProbe;

  before(async () => {
    p = await probe();
  });

  afterEach(closeWithoutSaving);

  async function inspectStory(): Promise<vscode.TextEditor> {
    const editor = await openFixture('story.txt');
    select(editor, 'Once upon a time, there was a little girl named Lily');
    shown(await inspect());
    return editor;
  }

  it('lists the 5 tokens a token attends to most, with the engine\'s weights (last layer, mean over heads)', async () => {
    const editor = await inspectStory();
    p.fromPanel('viewState', viewOf(1, 'mean'));
    const inspection = current(p);
    assert.deepEqual(inspection.view, viewOf(1, 'mean'));
    const girl = tokenIndex(inspection, 'girl');
    const card = await hoverCard(editor.document.uri, tokenStart(editor.document, inspection, girl).translate(0, 1));
    assert.ok(card, 'no Attention Lens hover card');
    assert.match(card.text, new RegExp(`#${girl} `));
    assert.match(card.text, /layer 2 of 2, mean over heads/);
    const expected = await expectedTop5(inspection, girl, viewOf(1, 'mean'));
    assert.equal(expected.length, 5, 'the phrase is long enough for five attended tokens');
    assertCardMatches(card.rows, expected);
  });

  it('paints what the hovered token attends to, opacity following the weight, and tells the panel', async () => {
    const editor = await inspectStory();
    p.fromPanel('viewState', viewOf(1, 'mean'));
    const inspection = current(p);
    const lily = tokenIndex(inspection, 'Lily');
    await hoverCard(editor.document.uri, tokenStart(editor.document, inspection, lily));
    const highlights = (await p.highlights());
    assert.equal(highlights.focus, lily);
    assert.equal(highlights.source, 'hover');
    assert.equal(highlights.editors, 1);
    assert.equal(p.panelFocus(), lily);
    // Independently: weights relative to the strongest key that has text, in BUCKETS steps.
    const expected = await expectedBuckets(inspection, lily, viewOf(1, 'mean'));
    assert.ok(expected.size > 0);
    assert.deepEqual(await paintedBuckets(p), expected);
    for (const token of highlights.painted) {
      const t = inspection.tokens[token.index];
      assert.equal(editor.document.getText(token.range), editor.document.getText(inspection.range).slice(t.start, t.end));
    }
    // Causal model: nothing after "Lily" can be attended to.
    assert.ok(highlights.painted.every((t) => t.index <= lily));
  });

  it('follows the view state the panel sends: a head, max, rollout', async () => {
    const editor = await inspectStory();
    const inspection = current(p);
    const girl = tokenIndex(inspection, 'girl');
    const at = tokenStart(editor.document, inspection, girl);
    for (const view of [
      viewOf(0, 3), viewOf(1, 7), viewOf(0, 'max'), viewOf(1, 'max'), viewOf(0, 'rollout'), viewOf(1, 'rollout'), viewOf(0, 'mean'),
    ]) {
      p.fromPanel('viewState', view);
      assert.deepEqual(current(p).view, view);
      const card = await hoverCard(editor.document.uri, at);
      assert.ok(card, `no card for ${JSON.stringify(view)}`);
      // Rollout is computed row by row in float64 on the host, the full matrix product here.
      assertCardMatches(card.rows, await expectedTop5(inspection, girl, view), view.aggregation === 'rollout' ? 0.0006 : undefined);
    }
  });

  it('ignores a view state the model does not have', async () => {
    await inspectStory();
    p.fromPanel('viewState', viewOf(1, 2));
    for (const bad of [
      viewOf(2, 'mean'), viewOf(0, 8), viewOf(-1, 0), { ...viewOf(0, 0), aggregation: 'median' }, viewOf(0.5, 1), { ...viewOf(0, 0), locked: 10_000 },
    ]) {
      p.fromPanel('viewState', bad as never);
      assert.deepEqual(current(p).view, viewOf(1, 2), JSON.stringify(bad));
    }
  });

  it('keeps the panel\'s view state for the next inspection', async () => {
    await inspectStory();
    p.fromPanel('viewState', viewOf(0, 4));
    await inspectStory();
    assert.deepEqual(current(p).view, viewOf(0, 4));
  });

  it('shows no card outside the inspected text, and none when attentionLens.hover.enabled is off', async () => {
    const editor = await inspectStory();
    const inspection = current(p);
    assert.equal(await hoverCard(editor.document.uri, new vscode.Position(2, 3)), undefined);
    const girl = tokenIndex(inspection, 'girl');
    await withSetting('hover.enabled', false, async () => {
      assert.equal(await hoverCard(editor.document.uri, tokenStart(editor.document, inspection, girl)), undefined);
    });
    assert.ok(await hoverCard(editor.document.uri, tokenStart(editor.document, inspection, girl)));
  });
});
