// The continuation shown after the selection as it is written: a decoration whose `after` text is
// drawn in the theme's ghost-text colour, never an edit, so the document stays as the user left it
// until they choose Insert Generated Text. It follows the tracked end of the selection as the text
// above it is edited.
import * as vscode from 'vscode';
import type { TrackedRange } from './trackedRange';

/** Set while a continuation is shown; the palette offers Insert Generated Text only then. */
const GENERATED_CONTEXT = 'attentionLens.hasGenerated';

export class GhostText implements vscode.Disposable {
  private type: vscode.TextEditorDecorationType | undefined;
  private readonly shownEmitter = new vscode.EventEmitter<string>();
  /** Fires with the continuation each time a longer one is shown. */
  readonly onDidShow = this.shownEmitter.event;
  private shown: { document: vscode.TextDocument; tracked: TrackedRange; text: string } | undefined;

  /** The continuation shown now, where it sits (the tracked end of the selection) and its document. */
  get current(): { document: vscode.TextDocument; offset: number; text: string } | undefined {
    const shown = this.shown;
    return shown && { document: shown.document, offset: shown.tracked.end, text: shown.text };
  }

  /** Shows `text` after `tracked`'s end in every visible editor of `document`. */
  show(document: vscode.TextDocument, tracked: TrackedRange, text: string): void {
    const first = !this.shown;
    this.shown = { document, tracked, text };
    this.paint();
    this.shownEmitter.fire(text);
    if (first) void vscode.commands.executeCommand('setContext', GENERATED_CONTEXT, true);
  }

  /** Paints the continuation again (an editor became visible, the text above moved). */
  paint(): void {
    const shown = this.shown;
    if (!shown) return;
    const at = shown.document.positionAt(shown.tracked.end);
    // A decoration's text is one line: line breaks are shown as ↵.
    const contentText = shown.text.replace(/\r?\n/g, '↵');
    const options: vscode.DecorationOptions[] = [{ range: new vscode.Range(at, at), renderOptions: { after: { contentText } } }];
    for (const editor of vscode.window.visibleTextEditors) {
      if (editor.document === shown.document) editor.setDecorations(this.decoration(), options);
    }
  }

  clear(): void {
    const shown = this.shown;
    this.shown = undefined;
    if (!shown) return;
    // Disposing the type removes it from every editor, visible or not; the next continuation makes a new one.
    this.type?.dispose();
    this.type = undefined;
    void vscode.commands.executeCommand('setContext', GENERATED_CONTEXT, false);
  }

  dispose(): void {
    this.clear();
    this.shownEmitter.dispose();
    this.type?.dispose();
    this.type = undefined;
  }

  // Created on first use, not at activation.
  private decoration(): vscode.TextEditorDecorationType {
    this.type ??= vscode.window.createTextEditorDecorationType({
      after: { color: new vscode.ThemeColor('editorGhostText.foreground'), fontStyle: 'italic' },
      rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
    });
    return this.type;
  }
}
