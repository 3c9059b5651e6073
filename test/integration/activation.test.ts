// Activation is lazy and cheap, and everything the extension contributes is registered.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { extension, INSPECT, note } from './helpers';

describe('activation', () => {
  it('waits for a command or a panel instead of starting with the editor', () => {
    const ext = extension();
    const events: string[] = ext.packageJSON.activationEvents;
    assert.ok(!events.includes('*') && !events.includes('onStartupFinished'), `eager activation events: ${events}`);
    // Commands and the panel only: hover cards and highlights need an inspection, which needs a command.
    for (const event of events) assert.match(event, /^(onCommand:attentionLens\.\w+|onWebviewPanel:attentionLens\.panel)$/);
    for (const event of ['onCommand:attentionLens.inspectSelection', 'onWebviewPanel:attentionLens.panel',
      'onCommand:attentionLens.clearHighlights', 'onCommand:attentionLens.showPanel']) {
      assert.ok(events.includes(event), `missing activation event ${event}`);
    }
  });

  // How long loading and activating take is a figure of `npm run bench -- --startup`: in an
  // extension host shared with other work, a wall-clock budget measures the machine.
  it('activates without loading the engine, and reports how long activate() took', async () => {
    const ext = extension();
    const api = await ext.activate();
    assert.ok(ext.isActive);
    assert.ok(Number.isFinite(api.activationMs) && api.activationMs >= 0, `activationMs ${api.activationMs}`);
    note(`      activation: activate() ${api.activationMs.toFixed(2)} ms`);
    const heavy = Object.keys(require.cache).filter((k) => /onnxruntime|@huggingface[\\/]tokenizers/.test(k));
    assert.deepEqual(heavy, [], 'activation must not load the engine');
  });

  it('registers the inspect command', async () => {
    const commands = await vscode.commands.getCommands(true);
    assert.ok(commands.includes(INSPECT));
  });

  it('contributes the command to the palette, the editor context menu and a keybinding', () => {
    const contributes = extension().packageJSON.contributes;
    assert.ok(contributes.commands.some((c: { command: string }) => c.command === INSPECT));
    assert.ok(contributes.menus['editor/context'].some((m: { command: string; when: string }) =>
      m.command === INSPECT && m.when.includes('editorHasSelection')));
    assert.ok(contributes.keybindings.some((k: { command: string }) => k.command === INSPECT));
  });

  it('contributes the editor commands, settings and highlight colour', async () => {
    const commands = await vscode.commands.getCommands(true);
    for (const command of ['attentionLens.clearHighlights', 'attentionLens.showPanel']) assert.ok(commands.includes(command), command);
    const config = vscode.workspace.getConfiguration('attentionLens');
    assert.equal(config.inspect('hover.enabled')?.defaultValue, true);
    assert.equal(config.inspect('followSelection')?.defaultValue, false);
    const colors: { id: string; defaults: Record<string, string> }[] = extension().packageJSON.contributes.colors;
    const attended = colors.find((c) => c.id === 'attentionLens.attendedBackground');
    assert.ok(attended);
    assert.deepEqual(Object.keys(attended.defaults).sort(), ['dark', 'highContrast', 'highContrastLight', 'light']);
  });

  it('contributes its settings with defaults', () => {
    const config = vscode.workspace.getConfiguration('attentionLens');
    assert.equal(config.inspect('provider')?.defaultValue, 'auto');
    assert.equal(config.inspect('maxTokens')?.defaultValue, 0, 'the model\'s context');
    assert.equal(config.inspect('model')?.defaultValue, '');
  });
});
