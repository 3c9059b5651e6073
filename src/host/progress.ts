// Progress for an inspection: a spinner in the status bar at once, and, when the work takes long
// enough to wonder about (a first model load, a long text), a notification with a Cancel button.
// Quick runs never flash a notification.
import * as vscode from 'vscode';

/** How long an inspection runs before its cancellable notification appears. */
export const NOTIFY_AFTER_MS = 1_000;

/** Shows progress while `work` runs; `onCancel` runs when the user presses Cancel. */
export function showProgress<T>(title: string, work: Promise<T>, onCancel: () => void): Promise<T> {
  const settled = work.then(() => undefined, () => undefined);
  void vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title }, () => settled);
  const timer = setTimeout(() => {
    void vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title, cancellable: true },
      (_progress, token) => {
        const subscription = token.onCancellationRequested(onCancel);
        return settled.finally(() => subscription.dispose());
      },
    );
  }, NOTIFY_AFTER_MS);
  void settled.finally(() => clearTimeout(timer));
  return work;
}
