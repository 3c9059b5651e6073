// Continue Selection in a real editor: the continuation is the CLI's greedy one for the same text,
// its tokens arrive one by one as ghost text, Insert Generated Text is one undo step, and an encoder
// is refused in the engine's words.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ContinuationOutcome } from '../../src/host/continueSelection';
import { extension, openFixture, select } from './helpers';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const MODELS = path.resolve(ROOT, '..', 'shared', 'models');
const PHRASE = 'there was a little girl named Lily';
const NEW_TOKENS = 10;

const settings = () => vscode.workspace.getConfiguration('attentionLens');
const continueSelection = () => vscode.commands.executeCommand<ContinuationOutcome>('attentionLens.continueSelection');

/** What `attention-lens generate` writes after `text` with the same model, greedily. */
function cliContinuation(model: string, text: string, tokens: number): string {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'attention-lens-generate-')), 'report.json');
  execFileSync(process.execPath, [path.join(ROOT, 'dist', 'cli.js'), 'generate', '--model', model, '--text', text,
    '--max-new-tokens', String(tokens), '--quiet', '--out', out], { env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } });
  const report = JSON.parse(fs.readFileSync(out, 'utf8')) as { text: string };
  fs.rmSync(path.dirname(out), { recursive: true, force: true });
  return report.text.slice(text.length);
}

describe('Continue Selection', function () {
  this.timeout(120_000);
  let previous: { tokens?: number; model?: string };

  before(async () => {
    await extension().activate();
    previous = { tokens: settings().inspect<number>('generate.maxNewTokens')?.globalValue, model: settings().inspect<string>('model')?.globalValue };
    await settings().update('generate.maxNewTokens', NEW_TOKENS, vscode.ConfigurationTarget.Global);
  });

  after(async () => {
    await settings().update('generate.maxNewTokens', previous.tokens, vscode.ConfigurationTarget.Global);
    await settings().update('model', previous.model, vscode.ConfigurationTarget.Global);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('writes the CLI\'s greedy continuation, a token at a time, as ghost text after the selection', async () => {
    const editor = await openFixture('story.txt');
    const selection = select(editor, PHRASE);
    const probe = extension().exports.probe!;
    // Every text the ghost text showed, as it showed it.
    const seen = new Set<string>();
    const watch = probe.onGhostText((text) => seen.add(text));
    const outcome = await Promise.resolve(continueSelection()).finally(() => watch.dispose());
    assert.equal(outcome.kind, 'written', JSON.stringify(outcome));
    if (outcome.kind !== 'written') return;
    const model = process.env.ATTENTION_LENS_MODEL ?? path.join(MODELS, 'tinystories-656k');
    assert.equal(outcome.continuation, cliContinuation(model, PHRASE, NEW_TOKENS));
    assert.equal(outcome.steps.length, NEW_TOKENS);
    assert.equal(outcome.stopped, 'limit');
    // One by one: each token arrives after the one before, each growing the continuation.
    for (let i = 1; i < outcome.steps.length; i++) {
      assert.ok(outcome.steps[i].atMs >= outcome.steps[i - 1].atMs);
      assert.ok(outcome.steps[i].writtenMs > outcome.steps[i - 1].writtenMs, `token ${i} was not written after token ${i - 1}`);
    }
    assert.ok(seen.size >= 2, `the ghost text took ${seen.size} values`);
    const ghost = probe.ghostText();
    assert.equal(ghost?.text, outcome.continuation);
    assert.equal(ghost?.offset, editor.document.offsetAt(selection.end));
    // The panel and the editor show the whole sequence: the prompt's tokens, then the written ones.
    const shown = probe.inspection();
    assert.equal(shown?.id, outcome.id);
    assert.ok(shown && shown.tokens.length > NEW_TOKENS);
    const attention = await probe.attention();
    const N = shown!.tokens.length;
    assert.equal(attention[0].length, shown!.heads * N * N);
    // The last written token's row is a distribution over every position up to its own.
    let sum = 0;
    for (let k = 0; k < N; k++) sum += attention[0][(N - 1) * N + k];
    assert.ok(Math.abs(sum - 1) < 1e-4, `row sum ${sum}`);
    // Hovering a written token in the panel paints what it attended to on the selection.
    probe.fromPanel('hoverToken', { index: N - 1 });
    const painted = await probe.highlights();
    assert.equal(painted.focus, N - 1);
    assert.ok(painted.painted.length > 0);
    for (const token of painted.painted) assert.ok(selection.contains(token.range));
  });

  it('inserts the continuation in one edit that one undo takes back', async () => {
    const editor = await openFixture('story.txt');
    const before = editor.document.getText();
    const selection = select(editor, PHRASE);
    const outcome = await continueSelection();
    assert.equal(outcome.kind, 'written');
    if (outcome.kind !== 'written') return;
    assert.ok(await vscode.commands.executeCommand<boolean>('attentionLens.insertGenerated'));
    const at = editor.document.offsetAt(selection.end);
    assert.equal(editor.document.getText(), before.slice(0, at) + outcome.continuation + before.slice(at));
    assert.equal(extension().exports.probe!.ghostText(), undefined);
    await vscode.commands.executeCommand('undo');
    assert.equal(editor.document.getText(), before);
  });

  it('refuses an encoder with the engine\'s message', async () => {
    await settings().update('model', path.join(MODELS, 'bert-tiny-random'), vscode.ConfigurationTarget.Global);
    try {
      const editor = await openFixture('story.txt');
      select(editor, PHRASE);
      const outcome = await continueSelection();
      assert.equal(outcome.kind, 'failed');
      if (outcome.kind !== 'failed') return;
      assert.equal(outcome.code, 'not-generative');
      assert.match(outcome.message, /is an encoder.*cannot write a continuation/);
    } finally {
      await settings().update('model', previous.model, vscode.ConfigurationTarget.Global);
    }
  });
});
