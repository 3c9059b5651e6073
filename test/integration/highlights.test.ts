// Highlights follow the caret and the panel, Clear Highlights removes them, the status bar names the
// model, and edits never leave attention painted on text it was not computed for.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { EditorProbe } from '../../src/host/probe';
import { inspect, openText, select, selectAndWaitForListeners, shown } from './helpers';
import {
  CLEAR, SHOW_PANEL, assertCardMatches, closeWithoutSaving, current, expectedBuckets, expectedTop5, hoverCard, moveCaret,
  paintedBuckets, probe, tokenIndex, tokenStart, withSetting,
} from './lens';
import { waitFor } from '../harness/wait';

const STORY = 'Once upon a time, there was a little girl named Lily who loved to play in the park.\n' +
  'One day, she saw a big red ball under a tree. She ran to get it.\n';
const PHRASE = 'there was a little girl named Lily';

function panelOpen(): boolean {
  return vscode.window.tabGroups.all.some((group) => group.tabs.some((tab) =>
    tab.input instanceof vscode.TabInputWebview && tab.input.viewType.endsWith('attentionLens.panel')));
}

describe('Highlights', function () {
  this.timeout(120_000);
  let p: EditorProbe;

  before(async () => {
    p = await probe();
  });

  afterEach(closeWithoutSaving);

  async function inspectPhrase(): Promise<vscode.TextEditor> {
    const editor = await openText(STORY);
    select(editor, PHRASE);
    shown(await inspect());
    return editor;
  }

  it('follow the caret from token to token, and tell the panel', async () => {
    const editor = await inspectPhrase();
    const inspection = current(p);
    assert.equal((await p.highlights()).painted.length, 0, 'nothing is painted until the caret or the mouse picks a token');
    const little = tokenIndex(inspection, 'little');
    const named = tokenIndex(inspection, 'named');
    await moveCaret(editor, tokenStart(editor.document, inspection, little).translate(0, 1), p, little);
    assert.equal((await p.highlights()).source, 'cursor');
    assert.equal(p.panelFocus(), little);
    assert.deepEqual(await paintedBuckets(p), await expectedBuckets(inspection, little, inspection.view));
    await moveCaret(editor, tokenStart(editor.document, inspection, named).translate(0, 1), p, named);
    assert.equal(p.panelFocus(), named);
    assert.deepEqual(await paintedBuckets(p), await expectedBuckets(inspection, named, inspection.view));
    // A caret just after the last character still belongs to the last token, as at the end of a word.
    await moveCaret(editor, inspection.range.end, p, tokenIndex(inspection, 'Lily'));
    // A caret outside the inspected text paints nothing.
    await moveCaret(editor, new vscode.Position(1, 4), p, undefined);
    assert.equal((await p.highlights()).painted.length, 0);
    assert.equal(p.panelFocus(), null);
  });

  it('follow the token hovered in the panel, and return to the caret when the mouse leaves', async () => {
    const editor = await inspectPhrase();
    const inspection = current(p);
    const girl = tokenIndex(inspection, 'girl');
    const was = tokenIndex(inspection, 'was');
    await moveCaret(editor, tokenStart(editor.document, inspection, girl), p, girl);
    p.fromPanel('hoverToken', { index: was });
    assert.equal((await p.highlights()).focus, was);
    assert.equal((await p.highlights()).source, 'panel');
    assert.equal(p.panelFocus(), girl, 'the panel is not echoed the focus it set');
    assert.ok((await p.highlights()).painted.length > 0);
    p.fromPanel('hoverToken', { index: null });
    assert.equal((await p.highlights()).focus, girl);
    p.fromPanel('hoverToken', { index: 10_000 });
    assert.equal((await p.highlights()).focus, girl, 'an index past the tokens is ignored');
  });

  it('reveal a token clicked in the panel', async () => {
    const editor = await inspectPhrase();
    const inspection = current(p);
    const lily = tokenIndex(inspection, 'Lily');
    p.fromPanel('revealToken', { index: lily });
    const start = tokenStart(editor.document, inspection, lily);
    await waitFor('the token to be selected', () => vscode.window.activeTextEditor?.selection.start.isEqual(start) === true);
    await waitFor('the revealed token to be focused', async () => (await p.highlights()).focus === lily);
  });

  it('are removed by Clear Highlights, with the hover card and the status bar item', async () => {
    const editor = await inspectPhrase();
    const inspection = current(p);
    const girl = tokenIndex(inspection, 'girl');
    await moveCaret(editor, tokenStart(editor.document, inspection, girl), p, girl);
    assert.ok((await p.highlights()).painted.length > 0);
    assert.ok((await vscode.commands.getCommands(true)).includes(CLEAR));
    await vscode.commands.executeCommand(CLEAR);
    assert.equal((await p.highlights()).painted.length, 0);
    assert.equal((await p.highlights()).focus, undefined);
    assert.equal(p.statusBar().visible, false);
    assert.equal(await hoverCard(editor.document.uri, tokenStart(editor.document, inspection, girl)), undefined);
    // The caret moving afterwards paints nothing until the next inspection.
    const after = tokenStart(editor.document, inspection, girl).translate(0, 1);
    await selectAndWaitForListeners(editor, new vscode.Selection(after, after));
    assert.equal((await p.highlights()).painted.length, 0);
    assert.equal((await p.highlights()).focus, undefined);
  });

  it('show the model and execution provider in the status bar, whose click reveals the panel', async () => {
    const editor = await openText(STORY);
    select(editor, PHRASE);
    const result = shown(await inspect());
    const status = p.statusBar();
    assert.ok(status.visible);
    assert.ok(status.text.includes(result.model.id), `status bar: ${status.text}`);
    assert.ok(status.text.includes(result.provider), `status bar: ${status.text}`);
    assert.equal(status.command, SHOW_PANEL);
    // Close only the panel: the inspection stays attached to its editor, and a new panel is sent it again.
    await waitFor('the panel to open', panelOpen);
    const tab = vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) =>
      t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('attentionLens.panel'));
    assert.ok(tab);
    await vscode.window.tabGroups.close(tab);
    await waitFor('the panel to close', () => !panelOpen());
    await vscode.commands.executeCommand(SHOW_PANEL);
    await waitFor('the panel to open again', panelOpen);
    assert.ok(p.statusBar().visible);
  });

  it('go stale when the inspected text is edited: nothing painted, a stale card, a marked status', async () => {
    const editor = await inspectPhrase();
    const inspection = current(p);
    const girl = tokenIndex(inspection, 'girl');
    await moveCaret(editor, tokenStart(editor.document, inspection, girl), p, girl);
    const little = editor.document.getText().indexOf('little');
    await editor.edit((b) => b.replace(new vscode.Range(editor.document.positionAt(little), editor.document.positionAt(little + 6)), 'tiny'));
    await waitFor('the inspection to go stale', () => current(p).stale);
    assert.equal((await p.highlights()).painted.length, 0);
    assert.equal((await p.highlights()).focus, undefined);
    assert.ok(p.statusBar().text.includes('$(warning)'));
    const card = await hoverCard(editor.document.uri, editor.document.positionAt(little + 1));
    assert.ok(card, 'a card over the edited text');
    assert.ok(card.text.includes('changed'), card.text);
    assert.equal(card.rows.length, 0);
    await moveCaret(editor, editor.document.positionAt(little + 7), p, undefined);
    assert.equal((await p.highlights()).painted.length, 0);
  });

  it('shift with edits before the inspected text and ignore edits after it', async () => {
    const editor = await inspectPhrase();
    const inspection = current(p);
    const girl = tokenIndex(inspection, 'girl');
    const before = await hoverCard(editor.document.uri, tokenStart(editor.document, inspection, girl));
    await editor.edit((b) => b.insert(new vscode.Position(0, 0), 'Long ago.\n'));
    await editor.edit((b) => b.insert(new vscode.Position(2, 3), 'far away '));
    await waitFor('the range to shift', () => current(p).range.start.line === 1);
    const moved = current(p);
    assert.equal(moved.stale, false);
    assert.equal(editor.document.getText(moved.range), PHRASE);
    const after = await hoverCard(editor.document.uri, tokenStart(editor.document, moved, girl));
    assert.ok(before && after);
    assert.deepEqual(after.rows, before.rows);
    assert.equal((await p.highlights()).focus, girl);
    const t = moved.tokens[girl];
    for (const token of (await p.highlights()).painted) {
      assert.equal(editor.document.getText(token.range), PHRASE.slice(moved.tokens[token.index].start, moved.tokens[token.index].end));
    }
    assert.equal(editor.document.getText(new vscode.Range(tokenStart(editor.document, moved, girl), tokenStart(editor.document, moved, girl).translate(0, t.end - t.start))), PHRASE.slice(t.start, t.end));
  });

  it('re-run after an edit inside the inspected text when attentionLens.followSelection is on', async () => {
    await withSetting('followSelection', true, async () => {
      const editor = await inspectPhrase();
      const first = current(p);
      const little = editor.document.getText().indexOf('little');
      await editor.edit((b) => b.replace(new vscode.Range(editor.document.positionAt(little), editor.document.positionAt(little + 6)), 'tiny'));
      await waitFor('a new inspection of the edited text', () => {
        const now = p.inspection();
        return now !== undefined && now.id !== first.id && !now.stale;
      }, { timeoutMs: 15_000 });
      const now = current(p);
      assert.equal(editor.document.getText(now.range), 'there was a tiny girl named Lily');
      const girl = tokenIndex(now, 'girl');
      const card = await hoverCard(editor.document.uri, tokenStart(editor.document, now, girl));
      assert.ok(card);
      assertCardMatches(card.rows, await expectedTop5(now, girl, now.view));
    });
  });

  it('re-run on a new selection outside the inspected text when attentionLens.followSelection is on', async () => {
    await withSetting('followSelection', true, async () => {
      const editor = await inspectPhrase();
      const first = current(p);
      const selection = select(editor, 'she saw a big red ball');
      await waitFor('an inspection of the new selection', () => {
        const now = p.inspection();
        return now !== undefined && now.id !== first.id && now.range.isEqual(selection);
      }, { timeoutMs: 15_000 });
    });
  });
});
