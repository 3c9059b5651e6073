// Inspecting real documents: ranges cover the selection exactly, newer runs supersede older ones,
// and empty input or a wrong model give a message instead of an exception.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { PlacedToken } from '../../src/host/inspectSelection';
import { extension, inspect, note, openFixture, openText, select, shown } from './helpers';
import { waitFor } from '../harness/wait';

/** Asserts that the tokens' ranges lie inside `range`, in order, and together cover all of it. */
function assertCovers(document: vscode.TextDocument, range: vscode.Range, tokens: PlacedToken[]): void {
  const from = document.offsetAt(range.start);
  const to = document.offsetAt(range.end);
  const covered = new Uint8Array(to - from);
  let previousStart = from;
  for (const token of tokens.filter((t) => !t.special)) {
    assert.ok(range.contains(token.range), `${JSON.stringify(token.text)} at ${show(token.range)} lies outside ${show(range)}`);
    const start = document.offsetAt(token.range.start);
    const end = document.offsetAt(token.range.end);
    assert.ok(start >= previousStart, `${JSON.stringify(token.text)} at ${show(token.range)} is out of order`);
    previousStart = start;
    covered.fill(1, start - from, end - from);
  }
  const gap = covered.indexOf(0);
  assert.equal(gap, -1, `offset ${from + gap} (${JSON.stringify(document.getText().charAt(from + gap))}) is in no token`);
}

function show(range: vscode.Range): string {
  return `${range.start.line}:${range.start.character}-${range.end.line}:${range.end.character}`;
}

function panelOpen(): boolean {
  return vscode.window.tabGroups.all.some((group) => group.tabs.some((tab) =>
    tab.input instanceof vscode.TabInputWebview && tab.input.viewType.endsWith('attentionLens.panel')));
}

describe('Inspect Selection', function () {
  // The first run loads the model (a few hundred ms here; seconds on a slow CI machine).
  this.timeout(120_000);

  before(async () => {
    await extension().activate();
    const configured = vscode.workspace.getConfiguration('attentionLens').get<string>('model');
    assert.ok(configured || process.env.ATTENTION_LENS_MODEL, 'set ATTENTION_LENS_MODEL or attentionLens.model to the tinystories-656k fixture');
  });

  afterEach(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('shows tokens whose ranges cover exactly the selected phrase', async () => {
    const editor = await openFixture('story.txt');
    const selection = select(editor, 'there was a little girl named Lily');
    const result = shown(await inspect());
    const t = result.timings;
    note(`      first inspection on ${result.provider}: load ${t.loadMs.toFixed(0)} ms, run ${t.runMs.toFixed(1)} ms, total ${t.totalMs.toFixed(0)} ms`);
    assert.equal(result.uri.toString(), editor.document.uri.toString());
    assert.ok(result.range.isEqual(selection));
    assert.equal(result.layers, 2);
    assert.equal(result.heads, 8);
    assert.ok(result.tokens.filter((t) => !t.special).length >= 3, `tokens: ${result.tokens.map((t) => t.text)}`);
    assertCovers(editor.document, selection, result.tokens);
    await waitFor('the Attention Lens panel to open', panelOpen);
  });

  it('inspects the cursor line when nothing is selected', async () => {
    const editor = await openFixture('story.txt');
    const line = editor.document.lineAt(1);
    editor.selection = new vscode.Selection(line.range.start.translate(0, 4), line.range.start.translate(0, 4));
    const result = shown(await inspect());
    assert.ok(result.range.isEqual(line.range), `inspected ${show(result.range)}, expected line 1`);
    assertCovers(editor.document, line.range, result.tokens);
  });

  it('places tokens of accented text, tabs and CRLF line ends', async () => {
    const editor = await openText('La autoatención\tes un tipo\r\nde mecanismo de atención.\r\n');
    assert.equal(editor.document.eol, vscode.EndOfLine.CRLF);
    const all = new vscode.Range(editor.document.positionAt(0), editor.document.lineAt(1).range.end);
    editor.selection = new vscode.Selection(all.start, all.end);
    const result = shown(await inspect());
    assertCovers(editor.document, all, result.tokens);
  });

  it('lets a second inspection supersede the first', async () => {
    const editor = await openFixture('story.txt');
    select(editor, 'Once upon a time');
    const first = inspect();
    const second = select(editor, 'she saw a big red ball');
    const [a, b] = await Promise.all([first, inspect()]);
    assert.equal(a?.kind, 'cancelled');
    assert.ok(shown(b).range.isEqual(second));
  });

  it('gives a message, not an exception, for an empty document', async () => {
    await openText('');
    const outcome = await inspect();
    assert.equal(outcome?.kind, 'nothing-to-inspect');
  });

  it('gives a message when no editor is open', async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const outcome = await inspect();
    assert.equal(outcome?.kind, 'nothing-to-inspect');
  });

  it('explains a model folder that does not exist', async () => {
    const config = vscode.workspace.getConfiguration('attentionLens');
    const previous = config.inspect<string>('model')?.globalValue;
    await config.update('model', '/nonexistent/attention-lens-model', vscode.ConfigurationTarget.Global);
    try {
      const editor = await openFixture('story.txt');
      select(editor, 'Once upon a time');
      const outcome = await inspect();
      assert.equal(outcome?.kind, 'failed');
      assert.equal(outcome.kind === 'failed' && outcome.code, 'model-not-found');
    } finally {
      await config.update('model', previous, vscode.ConfigurationTarget.Global);
    }
  });
});
