// The inspected text's range, kept in step with edits to its document while the model runs, so
// results land where their text is now.
import * as vscode from 'vscode';
import { TrackedRange } from './trackedRange';

/** Edits to the inspected document while the model runs, so results land where their text is now. */
export interface EditTracking extends vscode.Disposable {
  tracked: TrackedRange;
  /** Whether the document was closed. */
  readonly closed: boolean;
}

/** Follows edits to `document` that move or change `range` until disposed. */
export function trackEdits(document: vscode.TextDocument, range: vscode.Range): EditTracking {
  const tracked = new TrackedRange(document.offsetAt(range.start), document.offsetAt(range.end));
  let closed = false;
  const watching = [
    vscode.workspace.onDidChangeTextDocument((e) => {
      if (e.document !== document) return;
      for (const c of e.contentChanges) tracked.apply({ offset: c.rangeOffset, length: c.rangeLength, inserted: c.text.length });
    }),
    vscode.workspace.onDidCloseTextDocument((d) => {
      if (d === document) closed = true;
    }),
  ];
  return {
    tracked,
    get closed() {
      return closed;
    },
    dispose: () => {
      for (const w of watching) w.dispose();
    },
  };
}
