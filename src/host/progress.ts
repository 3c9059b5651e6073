// Progress for an inspection: a spinner in the status bar at once, and, when the work takes long
// enough to wonder about (a first model load, a long text), a notification with a Cancel button.
// Quick runs never flash a notification.
import * as vscode from 'vscode';
import type { LoadStage, TextWindow } from '../protocol';

/** How long an inspection runs before its cancellable notification appears. */
export const NOTIFY_AFTER_MS = 1_000;

/** Messages for a progress notification that may arrive before it shows: the latest is shown when it does. */
export class ProgressMessages {
  private latest: string | undefined;
  private sink: ((message: string) => void) | undefined;

  report(message: string): void {
    this.latest = message;
    this.sink?.(message);
  }

  /** Sends the latest message now and every later one to `sink`. */
  attach(sink: (message: string) => void): void {
    this.sink = sink;
    if (this.latest !== undefined) sink(this.latest);
  }
}

/** What model loading is doing, in the user's words. */
export function loadStageMessage(stage: LoadStage): string {
  switch (stage) {
    case 'reading': return vscode.l10n.t('Reading the model files');
    case 'building': return vscode.l10n.t('Building the graph from the safetensors weights');
    case 'optimising': return vscode.l10n.t('Loading the weights and optimising the graph');
  }
}

/** Which layer has arrived, and of which window when the text has several. */
export function layerMessage(layer: number, layers: number, window: TextWindow | undefined): string {
  return window && window.count > 1
    ? vscode.l10n.t('Window {0} of {1}: layer {2} of {3}', window.index + 1, window.count, layer + 1, layers)
    : vscode.l10n.t('Layer {0} of {1}', layer + 1, layers);
}

/** Shows progress while `work` runs (with `messages` in its notification); `onCancel` runs when the user presses Cancel. */
export function showProgress<T>(title: string, work: Promise<T>, onCancel: () => void, messages?: ProgressMessages): Promise<T> {
  const settled = work.then(() => undefined, () => undefined);
  void vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title }, () => settled);
  const timer = setTimeout(() => {
    void vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title, cancellable: true },
      (progress, token) => {
        messages?.attach((message) => progress.report({ message }));
        const subscription = token.onCancellationRequested(onCancel);
        return settled.finally(() => subscription.dispose());
      },
    );
  }, NOTIFY_AFTER_MS);
  void settled.finally(() => clearTimeout(timer));
  return work;
}
