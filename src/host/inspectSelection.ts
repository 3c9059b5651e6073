// "Attention Lens: Inspect Selection": runs the engine on the selected text (or the cursor's line)
// and shows the result in the panel. The engine worker starts on the first inspection, not at
// activation, so opening VS Code costs nothing.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { EngineClient } from '../engine/client';
import { toEngineError } from '../engine/errors';
import type { EngineErrorCode, ModelInfo, Timings } from '../protocol';
import { log } from './log';
import { AttentionPanel } from './panel';
import { readSettings } from './settings';
import { positionsIn } from './textPositions';

export const INSPECT_COMMAND = 'attentionLens.inspectSelection';

/** A token of an inspection, placed in its document. */
export interface PlacedToken {
  text: string;
  special: boolean;
  range: vscode.Range;
}

/** What the command did; returned to `executeCommand` callers (tests, other extensions). */
export type InspectionOutcome =
  | {
      kind: 'shown';
      uri: vscode.Uri;
      range: vscode.Range;
      model: ModelInfo;
      provider: string;
      tokens: PlacedToken[];
      layers: number;
      heads: number;
      timings: Timings;
    }
  | { kind: 'cancelled' }
  | { kind: 'nothing-to-inspect'; message: string }
  | { kind: 'failed'; code: EngineErrorCode | 'no-model'; message: string };

// Failures that a setting fixes get a button that opens it.
const SETTING_FIXES = new Set<string>([
  'no-model', 'model-not-found', 'tokenizer-missing', 'tokenizer-invalid', 'onnx-missing', 'onnx-invalid',
  'fused-attention', 'no-attention', 'config-mismatch', 'provider-unavailable',
]);

export class SelectionInspector implements vscode.Disposable {
  private client: EngineClient | undefined;
  private nextId = 1;
  private last: { uri: vscode.Uri; tokens: PlacedToken[] } | undefined;
  private panelSubscription: vscode.Disposable | undefined;

  constructor(private readonly extensionUri: vscode.Uri) {}

  /** Inspects the primary selection of `editor`, or its cursor line when nothing is selected. */
  async run(editor = vscode.window.activeTextEditor): Promise<InspectionOutcome> {
    if (!editor) return this.nothing(vscode.l10n.t('Open a file and select some text to inspect its attention.'));
    const { document, selection } = editor;
    const range = selection.isEmpty ? document.lineAt(selection.active.line).range : selection;
    const text = document.getText(range);
    if (text.trim() === '') {
      return this.nothing(vscode.l10n.t('There is no text to inspect: select some text, or put the cursor on a line that has some.'));
    }
    const settings = readSettings(document.uri);
    if (!settings.model) {
      return this.fail('no-model', vscode.l10n.t('Choose a model first: set "attentionLens.model" to a model folder (config.json, tokenizer.json and onnx/model.onnx).'));
    }

    const id = this.nextId++;
    const modelName = path.basename(settings.model);
    const panel = this.showPanel();
    panel.post({ type: 'busy', title: vscode.l10n.t('Running {0} on {1} characters…', modelName, text.length) });
    log().info(`inspect #${id}: ${text.length} characters of ${document.uri.toString(true)} with ${settings.model} (provider ${settings.provider})`);
    const toPosition = positionsIn(text, range.start);
    const place = (start: number, end: number) => {
      const a = toPosition(start);
      const b = toPosition(end);
      return new vscode.Range(a.line, a.character, b.line, b.character);
    };

    try {
      const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Window, title: vscode.l10n.t('Attention Lens: running {0}', modelName) },
        () => this.engine().inspect(
          { model: settings.model!, text, provider: settings.provider, maxTokens: settings.maxTokens },
          {
            onStarted: (s) => {
              const tried = s.attempts.map((a) => (a.ok ? a.provider : `${a.provider} (${a.reason ?? 'failed'})`));
              log().info(`inspect #${id}: ${s.model.id}, ${s.model.layers} layers × ${s.model.heads} heads, ${s.tokens.length} tokens on ${s.provider}; providers tried: ${tried.join(', ')}`);
              for (const w of s.warnings) log().warn(`inspect #${id}: ${w}`);
              panel.post({
                type: 'inspection', id, text, model: s.model, tokens: s.tokens, provider: s.provider,
                warnings: s.warnings, truncatedFrom: s.truncatedFrom,
              });
            },
            onLayer: (l, data) => panel.post({
              type: 'layer', id, layer: l.layer, heads: l.heads, tokens: l.tokens, data: data.buffer as ArrayBuffer,
            }),
          },
        ),
      );
      const { started, timings } = result;
      log().info(`inspect #${id}: tokenize ${ms(timings.tokenizeMs)}, load ${ms(timings.loadMs)}, run ${ms(timings.runMs)}, total ${ms(timings.totalMs)}`);
      panel.post({ type: 'done', id, timings });
      const tokens = started.tokens.map((t) => ({ text: t.text, special: t.special, range: place(t.start, t.end) }));
      this.last = { uri: document.uri, tokens };
      return {
        kind: 'shown', uri: document.uri, range: new vscode.Range(range.start, range.end), model: started.model,
        provider: started.provider, tokens, layers: started.model.layers, heads: started.model.heads, timings,
      };
    } catch (err) {
      const e = toEngineError(err);
      if (e.code === 'cancelled') {
        log().debug(`inspect #${id}: superseded by a newer inspection`);
        return { kind: 'cancelled' };
      }
      panel.post({ type: 'failed', message: e.message });
      return this.fail(e.code, e.message, e.detail);
    }
  }

  dispose(): void {
    this.client?.dispose();
    this.client = undefined;
    this.panelSubscription?.dispose();
  }

  private engine(): EngineClient {
    this.client ??= new EngineClient({
      workerPath: vscode.Uri.joinPath(this.extensionUri, 'dist', 'worker.js').fsPath,
      log: (line) => log().info(line),
    });
    return this.client;
  }

  private showPanel(): AttentionPanel {
    const panel = AttentionPanel.show(this.extensionUri);
    this.adopt(panel);
    return panel;
  }

  /** Listens to a panel's token clicks; also used for panels the serializer revives. */
  adopt(panel: AttentionPanel): void {
    this.panelSubscription?.dispose();
    this.panelSubscription = panel.onRevealToken((index) => void this.reveal(index));
  }

  private async reveal(index: number): Promise<void> {
    const token = this.last?.tokens[index];
    if (!this.last || !token) return;
    const editor = await vscode.window.showTextDocument(this.last.uri, { preserveFocus: false });
    editor.selection = new vscode.Selection(token.range.start, token.range.end);
    editor.revealRange(token.range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  }

  private nothing(message: string): InspectionOutcome {
    log().info(message);
    // Not awaited: the promise settles only when the notification is dismissed.
    void vscode.window.showInformationMessage(message);
    return { kind: 'nothing-to-inspect', message };
  }

  private fail(code: EngineErrorCode | 'no-model', message: string, detail?: string): InspectionOutcome {
    log().error(detail ? `${message}\n${detail}` : message);
    const openSettings = vscode.l10n.t('Open Settings');
    const showLog = vscode.l10n.t('Show Log');
    const actions = SETTING_FIXES.has(code) ? [openSettings, showLog] : [showLog];
    void vscode.window.showErrorMessage(message, ...actions).then((choice) => {
      if (choice === openSettings) void vscode.commands.executeCommand('workbench.action.openSettings', 'attentionLens');
      else if (choice === showLog) log().show(true);
    });
    return { kind: 'failed', code, message };
  }
}

function ms(value: number): string {
  return `${value.toFixed(1)} ms`;
}
