// The "Attention Lens" output channel: model loads, providers, timings and the detail behind errors.
import * as vscode from 'vscode';

let channel: vscode.LogOutputChannel | undefined;

/** The extension's log channel, created on first use so activation stays cheap. */
export function log(): vscode.LogOutputChannel {
  channel ??= vscode.window.createOutputChannel('Attention Lens', { log: true });
  return channel;
}

export function disposeLog(): void {
  channel?.dispose();
  channel = undefined;
}
