// attentionLens.followSelection: re-inspects, after a pause, text that was edited inside an
// inspected range or newly selected outside it. The pause keeps typing from starting one model run
// per keystroke; each new request replaces the one waiting.
import * as vscode from 'vscode';

/** Quiet time after the last edit or selection change before the re-run starts. */
export const FOLLOW_DELAY_MS = 500;

/** A document range to inspect. */
export interface InspectTarget {
  document: vscode.TextDocument;
  range: vscode.Range;
}

export class FollowSelection implements vscode.Disposable {
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly inspect: (target: InspectTarget) => Promise<unknown>) {}

  /**
   * Re-inspects what `target` returns once nothing has changed for FOLLOW_DELAY_MS. The target is
   * computed when the timer fires, so it covers every edit made while waiting.
   */
  schedule(target: () => InspectTarget | undefined): void {
    this.cancel();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const next = target();
      if (!next || next.document.isClosed || next.range.isEmpty) return;
      if (next.document.getText(next.range).trim() === '') return;
      // Failures are reported by the inspection itself; nothing is left to handle here.
      void this.inspect(next).then(undefined, () => undefined);
    }, FOLLOW_DELAY_MS);
  }

  /** Whether a re-run is waiting. */
  get pending(): boolean {
    return this.timer !== undefined;
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  dispose(): void {
    this.cancel();
  }
}
