// The extension's one engine client and what it shows of the engine's store. The attention stays in
// the engine process; the panel and the editor each show one inspection and ask the engine for the
// views they draw. An inspection neither shows any more is released there, and the ones still shown
// travel with each new inspection so that the engine never evicts them to make room.
import * as vscode from 'vscode';
import { EngineClient } from '../engine/client';
import type { AttentionReply, AttentionRequest, ReportRequest } from '../protocol';
import { engineStopMessage } from './engineStopMessage';
import { log } from './log';
import { readEngineSettings } from './settings';

/** Who shows an inspection: the panel, or the editor's highlights and hover cards. */
export type Viewer = 'panel' | 'editor';

export class HostEngine implements vscode.Disposable {
  private engine: EngineClient | undefined;
  private readonly shown = new Map<Viewer, number>();

  constructor(private readonly extensionUri: vscode.Uri) {}

  /** The client, started on first use: the engine process itself starts with the first inspection. */
  get client(): EngineClient {
    this.engine ??= new EngineClient({
      enginePath: vscode.Uri.joinPath(this.extensionUri, 'dist', 'engine.js').fsPath,
      log: (line) => log().info(line),
      limits: () => {
        const { timeoutSeconds, memoryLimitMB, idleMinutes } = readEngineSettings();
        return { timeoutMs: timeoutSeconds * 1000, memoryLimitMB, idleMs: idleMinutes * 60_000 };
      },
      onStopped: (stop, { restarted, duringInspection }) => {
        // An inspection it took with it says so itself, as its failure.
        if (duringInspection) return;
        const message = engineStopMessage(stop, restarted);
        log().warn(message);
        void vscode.window.showWarningMessage(message);
      },
    });
    return this.engine;
  }

  /** The inspections the panel and the editor show now: a new inspection must not evict them. */
  get onScreen(): number[] {
    return [...new Set(this.shown.values())];
  }

  /** A view of inspection `inspection` from the engine's store; rejects with code 'attention-evicted' when it is gone. */
  view(inspection: number, request: AttentionRequest, signal?: AbortSignal): Promise<AttentionReply> {
    return this.client.view(inspection, request, signal);
  }

  /** Has the engine write a report from its store. */
  writeReport(request: ReportRequest, onProgress?: (fraction: number) => void, signal?: AbortSignal): Promise<number> {
    return this.client.writeReport(request, onProgress, signal);
  }

  /** `viewer` shows inspection `id` now (or nothing): one no viewer shows any more is released in the engine. */
  show(viewer: Viewer, id: number | undefined): void {
    const before = this.shown.get(viewer);
    if (before === id) return;
    if (id === undefined) this.shown.delete(viewer);
    else this.shown.set(viewer, id);
    if (before !== undefined && !this.onScreen.includes(before)) this.engine?.release(before);
  }

  dispose(): void {
    this.engine?.dispose();
    this.engine = undefined;
  }
}
