// The "Attention Lens" webview panel: one per window, created on first inspection or revived by the
// serializer after a reload. The webview draws; this side only builds its HTML and forwards messages.
import * as vscode from 'vscode';
import type { HostToPanel, PanelToHost } from '../protocol';
import { Disposable } from './disposable';
import { panelLanguage, panelStrings } from './panelStrings';

export const PANEL_VIEW_TYPE = 'attentionLens.panel';

export class AttentionPanel extends Disposable {
  private static current: AttentionPanel | undefined;

  private ready = false;
  // Messages posted before the webview's script runs would be dropped; they wait here instead.
  private queue: HostToPanel[] = [];
  private readonly onMessageEmitter = new vscode.EventEmitter<Exclude<PanelToHost, { type: 'ready' }>>();
  /** Fires for what the user does in the panel: clicks and hovers tokens, picks a layer or head. */
  readonly onMessage = this.onMessageEmitter.event;

  /** Reveals the panel, creating it beside the editor if there is none. */
  static show(extensionUri: vscode.Uri): AttentionPanel {
    if (AttentionPanel.current) {
      AttentionPanel.current.panel.reveal(undefined, true);
      return AttentionPanel.current;
    }
    const panel = vscode.window.createWebviewPanel(
      PANEL_VIEW_TYPE,
      vscode.l10n.t('Attention Lens'),
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
      webviewOptions(extensionUri),
    );
    return new AttentionPanel(panel, extensionUri);
  }

  /** Adopts a panel VS Code restored after a reload; the webview redraws from its saved state. */
  static revive(panel: vscode.WebviewPanel, extensionUri: vscode.Uri): AttentionPanel {
    AttentionPanel.current?.dispose();
    panel.webview.options = webviewOptions(extensionUri);
    return new AttentionPanel(panel, extensionUri);
  }

  /** The open panel, if any. */
  static get open(): AttentionPanel | undefined {
    return AttentionPanel.current;
  }

  private constructor(
    readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
  ) {
    super();
    AttentionPanel.current = this;
    this.register({
      dispose: () => {
        if (AttentionPanel.current === this) AttentionPanel.current = undefined;
        this.queue = [];
      },
    });
    this.register(panel);
    this.register(panel.onDidDispose(() => this.dispose()));
    // A hidden webview loses its page (no retainContextWhenHidden, to save memory); when shown
    // again it loads afresh and says 'ready' once it listens, so messages wait until then.
    this.register(panel.onDidChangeViewState(() => {
      if (!panel.visible) this.ready = false;
    }));
    this.register(panel.webview.onDidReceiveMessage((message: PanelToHost) => this.receive(message)));
    this.register(this.onMessageEmitter);
    panel.webview.html = html(panel.webview, extensionUri);
  }

  /** Sends a message to the webview, once it is listening. */
  post(message: HostToPanel): void {
    // The user may close the panel while an inspection streams in; its results are then dropped.
    if (this.isDisposed) return;
    if (this.ready) void this.panel.webview.postMessage(message);
    // Focus follows every caret move: a panel that is not listening misses those, or a hidden
    // panel would be sent a backlog of stale focus changes when shown again.
    else if (message.type !== 'focusToken') this.queue.push(message);
  }

  private receive(message: PanelToHost): void {
    switch (message.type) {
      case 'ready':
        // A reloaded webview says ready again; queued messages go once, to whichever page listens.
        this.ready = true;
        for (const m of this.queue.splice(0)) void this.panel.webview.postMessage(m);
        break;
      case 'revealToken':
      case 'hoverToken':
      case 'viewState':
      case 'exportPng':
      case 'exportFailed':
      case 'exportReport':
        this.onMessageEmitter.fire(message);
        break;
    }
  }
}

function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewPanelOptions & vscode.WebviewOptions {
  return {
    enableScripts: true,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist')],
  };
}

function html(webview: vscode.Webview, extensionUri: vscode.Uri): string {
  const nonce = makeNonce();
  const dist = vscode.Uri.joinPath(extensionUri, 'dist');
  const script = webview.asWebviewUri(vscode.Uri.joinPath(dist, 'webview.js'));
  const style = webview.asWebviewUri(vscode.Uri.joinPath(dist, 'webview.css'));
  // The rollout worker's script is on another origin than the page, so the page fetches it
  // (connect-src) and starts it from a Blob URL (worker-src blob:).
  const rolloutWorker = webview.asWebviewUri(vscode.Uri.joinPath(dist, 'rolloutWorker.js'));
  const csp = [
    "default-src 'none'",
    `style-src ${webview.cspSource}`,
    `img-src ${webview.cspSource} data:`,
    `script-src 'nonce-${nonce}'`,
    `connect-src ${webview.cspSource}`,
    'worker-src blob:',
  ].join('; ');
  const strings = escapeAttribute(JSON.stringify(panelStrings()));
  return `<!DOCTYPE html>
<html lang="${escapeAttribute(panelLanguage())}">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${style}">
<title>${escapeAttribute(vscode.l10n.t('Attention Lens'))}</title>
</head>
<body data-strings="${strings}" data-worker-url="${escapeAttribute(rolloutWorker.toString())}">
<main id="app"></main>
<script nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
}

function escapeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function makeNonce(): string {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  return Buffer.from(bytes).toString('base64').replace(/[^A-Za-z0-9]/g, '');
}
