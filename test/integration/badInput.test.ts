// Input people do not mean to give, or give anyway: each gets a clear message or a correct result,
// never an exception in the extension host.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { PlacedToken } from '../../src/host/inspectSelection';
import type { EditorProbe } from '../../src/host/probe';
import { prepareText } from '../../src/host/inputText';
import { inspect, note, openFixture, openText, select, shown } from './helpers';
import { assertCardMatches, closeWithoutSaving, current, expectedTop5, hoverCard, probe, tokenStart } from './lens';

function selectAll(editor: vscode.TextEditor): vscode.Selection {
  const document = editor.document;
  editor.selection = new vscode.Selection(document.positionAt(0), document.positionAt(document.getText().length));
  return editor.selection;
}

/** Every character of `range` lies in some token, and no token lies outside it. */
function assertCovers(document: vscode.TextDocument, range: vscode.Range, tokens: PlacedToken[]): void {
  const from = document.offsetAt(range.start);
  const covered = new Uint8Array(document.offsetAt(range.end) - from);
  for (const token of tokens.filter((t) => !t.special)) {
    assert.ok(range.contains(token.range), `${JSON.stringify(token.text)} lies outside the range`);
    covered.fill(1, document.offsetAt(token.range.start) - from, document.offsetAt(token.range.end) - from);
  }
  const text = document.getText(range);
  covered.forEach((c, i) => {
    // Line breaks between lines are in tokens or not, depending on the tokenizer; characters are.
    if (!c && !/\s/.test(text[i])) assert.fail(`offset ${i} (${JSON.stringify(text[i])}) is in no token`);
  });
}

/** Hovers every placed token and checks each card against the engine's attention. */
async function assertCardsEverywhere(p: EditorProbe, editor: vscode.TextEditor): Promise<void> {
  const inspection = current(p);
  let cards = 0;
  for (let i = 0; i < inspection.tokens.length; i++) {
    const t = inspection.tokens[i];
    if (t.end <= t.start) continue;
    const card = await hoverCard(editor.document.uri, tokenStart(editor.document, inspection, i));
    assert.ok(card, `no card over token #${i} ${JSON.stringify(t.text)}`);
    // Several byte tokens can share one character; the card is the last one's.
    const index = Number(/ #(\d+) /.exec(card.text)?.[1]);
    assert.equal(inspection.tokens[index].start, t.start);
    assertCardMatches(card.rows, await expectedTop5(inspection, index, inspection.view));
    cards++;
  }
  assert.ok(cards > 0);
}

describe('Bad input', function () {
  this.timeout(120_000);
  let p: EditorProbe;

  before(async () => {
    p = await probe();
  });

  afterEach(closeWithoutSaving);

  it('an empty selection in an empty file: a message', async () => {
    await openText('');
    const outcome = await inspect();
    assert.equal(outcome.kind, 'nothing-to-inspect');
  });

  it('whitespace only: a message', async () => {
    const editor = await openText('   \n\t\t \r\n  \u00a0 \n');
    selectAll(editor);
    const outcome = await inspect();
    assert.equal(outcome.kind, 'nothing-to-inspect');
  });

  it('100 000 characters: inspected in windows of the model\'s context, highlights only on the window shown', async () => {
    const story = 'Once upon a time, there was a little girl named Lily who loved to play in the park.\n';
    const text = story.repeat(Math.ceil(100_000 / story.length)).slice(0, 100_000);
    let started = performance.now();
    const editor = await openText(text);
    const opened = performance.now() - started;
    const selection = selectAll(editor);
    started = performance.now();
    const result = shown(await inspect());
    note(`      100 000 characters: opened in ${opened.toFixed(0)} ms, inspected in ${(performance.now() - started).toFixed(0)} ms (engine ${result.timings.totalMs.toFixed(0)} ms)`);
    const window = result.window!;
    assert.ok(window && window.index === 0 && window.count > 1, JSON.stringify(window));
    assert.equal(result.truncatedFrom, undefined);
    assert.ok(result.tokens.length <= 512 && result.tokens.length > 256, `${result.tokens.length} tokens`);
    const inspected = current(p).range;
    assert.ok(inspected.isEqual(result.range));
    assert.ok(inspected.isEqual(selection), 'the whole selection stays the inspected text; the window is a part of it');
    const lastEnd = Math.max(...current(p).tokens.map((t) => t.end));
    assert.equal(editor.document.offsetAt(inspected.start) + window.end, lastEnd);
    // Past the window, no card.
    assert.equal(await hoverCard(editor.document.uri, editor.document.positionAt(lastEnd + 200)), undefined);
    const last = current(p).tokens.length - 1;
    const card = await hoverCard(editor.document.uri, tokenStart(editor.document, current(p), last));
    assert.ok(card);
    assertCardMatches(card.rows, await expectedTop5(current(p), last, current(p).view));
  });

  it('a binary file with NUL bytes: a message', async () => {
    const editor = await openText('PK\u0003\u0004\u0000\u0000\u0014\u0000 some text\u0000\u0000');
    selectAll(editor);
    const outcome = await inspect();
    assert.equal(outcome.kind, 'not-text');
  });

  it('lone surrogates: inspected as U+FFFD at the same offsets', async () => {
    const prepared = prepareText('a\uD800b\uDC00c😀\uDBFF');
    assert.deepEqual(prepared, { kind: 'text', text: 'a\uFFFDb\uFFFDc😀\uFFFD', loneSurrogates: 3 });
    const editor = await openText('Once \uD800upon a \uDC00time, 😀 there\uDBFF');
    // The workbench may already have replaced them on the way to the extension host (its IPC is UTF-8).
    const lone = editor.document.getText().match(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g)?.length ?? 0;
    note(`      lone surrogates that reached the extension host: ${lone} of 3`);
    const all = selectAll(editor);
    const result = shown(await inspect());
    assert.equal(result.notices.some((n) => n.includes('U+FFFD')), lone > 0, result.notices.join('\n'));
    if (lone > 0) assert.ok(result.notices.some((n) => n.startsWith(String(lone))), result.notices.join('\n'));
    assertCovers(editor.document, all, result.tokens);
    await assertCardsEverywhere(p, editor);
  });

  it('right-to-left text: tokens and cards in place', async () => {
    const editor = await openText('שלום עולם. مرحبا بالعالم! Lily said hello.');
    const all = selectAll(editor);
    const result = shown(await inspect());
    assertCovers(editor.document, all, result.tokens);
    await assertCardsEverywhere(p, editor);
  });

  it('CRLF line ends: the token on the second line is where its text is', async () => {
    const editor = await openText('La autoatención\tes un tipo\r\nde mecanismo de atención.\r\n');
    assert.equal(editor.document.eol, vscode.EndOfLine.CRLF);
    const all = new vscode.Range(editor.document.positionAt(0), editor.document.lineAt(1).range.end);
    editor.selection = new vscode.Selection(all.start, all.end);
    shown(await inspect());
    const inspection = current(p);
    const text = editor.document.getText(all);
    // A document position cannot fall between \r and \n: a token that starts or ends there (a lone
    // "\r" token) is placed at the line's end, and is left out here.
    const splitsCrlf = (offset: number) => text[offset - 1] === '\r' && text[offset] === '\n';
    for (let i = 0; i < inspection.tokens.length; i++) {
      const t = inspection.tokens[i];
      if (t.end <= t.start || splitsCrlf(t.start) || splitsCrlf(t.end)) continue;
      const start = tokenStart(editor.document, inspection, i);
      const end = editor.document.positionAt(editor.document.offsetAt(start) + t.end - t.start);
      assert.equal(editor.document.getText(new vscode.Range(start, end)), text.slice(t.start, t.end));
    }
    const mecanismo = editor.document.getText().indexOf('mecanismo');
    const card = await hoverCard(editor.document.uri, editor.document.positionAt(mecanismo + 2));
    assert.ok(card);
    const focus = Number(/ #(\d+) /.exec(card.text)?.[1]);
    const t = inspection.tokens[focus];
    assert.ok(t.start <= mecanismo + 2 && mecanismo + 2 < t.end, `card for #${focus} ${JSON.stringify(t.text)}`);
    assertCardMatches(card.rows, await expectedTop5(inspection, focus, inspection.view));
  });

  it('the editor closed while the model runs: no exception, nothing painted', async () => {
    const editor = await openFixture('story.txt');
    select(editor, 'Once upon a time');
    const running = inspect();
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    const outcome = await running;
    assert.ok(outcome.kind === 'shown' || outcome.kind === 'cancelled', JSON.stringify(outcome));
    assert.equal((await p.highlights()).painted.length, 0);
    assert.equal((await p.highlights()).editors, 0);
  });

  it('two quick inspections: the first is superseded and never shown', async () => {
    const editor = await openFixture('story.txt');
    select(editor, 'Once upon a time');
    const first = inspect();
    const second = select(editor, 'she saw a big red ball');
    const [a, b] = await Promise.all([first, inspect()]);
    assert.equal(a.kind, 'cancelled');
    const shownB = shown(b);
    assert.equal(current(p).id, shownB.id);
    assert.ok(current(p).range.isEqual(second));
    assert.equal(editor.document.getText(current(p).range), 'she saw a big red ball');
  });

  it('Cancel on the progress notification stops the run and keeps the earlier inspection', async () => {
    const editor = await openText('Lily and the ball. '.repeat(4000));
    editor.selection = new vscode.Selection(0, 0, 0, 18);
    const earlier = shown(await inspect());
    selectAll(editor);
    const running = inspect();
    // The run starts after the model is located (an await): cancel as soon as it is running.
    for (let i = 0; i < 10_000 && !p.running(); i++) await new Promise((resolve) => setImmediate(resolve));
    assert.ok(p.running());
    p.cancel();
    const outcome = await running;
    assert.equal(outcome.kind, 'cancelled');
    assert.equal(current(p).id, earlier.id);
  });
});
