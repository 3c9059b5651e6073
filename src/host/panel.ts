// The "Attention Lens" webview panel: one per window, created when first shown or revived by the
// serializer after a reload. It builds the page's HTML and gives each page it loads its own channel;
// what the page shows is the presenter's business (src/host/presenter.ts).
import * as vscode from 'vscode';
import { Channel, ChannelError, type Handlers, type Port } from '../channel';
import type { PageApi, PanelEnvelope, PresenterApi } from '../protocol';
import { Disposable } from './disposable';
import { panelStrings } from './panelStrings';

export const PANEL_VIEW_TYPE = 'attentionLens.panel';

/** The host's end of the channel to one page of the panel. */
export type PageChannel = Channel<PageApi, PresenterApi>;

export class AttentionPanel extends Disposable {
  private static current: AttentionPanel | undefined;

  // The page that spoke last, and the channel to it. A hidden panel's page is unloaded (no
  // retainContextWhenHidden, to save memory) and a new page loads when it is shown again.
  private page: { name: string; channel: PageChannel; deliver(message: unknown): void } | undefined;

  /** Reveals the panel, creating it beside the editor if there is none. */
  static show(extensionUri: vscode.Uri, handlers: Handlers<PresenterApi>): AttentionPanel {
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
    return new AttentionPanel(panel, extensionUri, handlers);
  }

  /** Adopts a panel VS Code restored after a reload. */
  static revive(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, handlers: Handlers<PresenterApi>): AttentionPanel {
    AttentionPanel.current?.dispose();
    panel.webview.options = webviewOptions(extensionUri);
    return new AttentionPanel(panel, extensionUri, handlers);
  }

  /** The open panel, if any. */
  static get open(): AttentionPanel | undefined {
    return AttentionPanel.current;
  }

  private constructor(
    readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    private readonly handlers: Handlers<PresenterApi>,
  ) {
    super();
    AttentionPanel.current = this;
    this.register({
      dispose: () => {
        if (AttentionPanel.current === this) AttentionPanel.current = undefined;
        this.endPage('The panel was closed.');
      },
    });
    this.register(panel);
    this.register(panel.onDidDispose(() => this.dispose()));
    this.register(panel.onDidChangeViewState(() => {
      if (!panel.visible) this.endPage('The panel was hidden.');
    }));
    this.register(panel.webview.onDidReceiveMessage((message: unknown) => this.receive(message)));
    panel.webview.html = html(panel.webview, extensionUri);
  }

  /** The channel to the page loaded now, if one has spoken since the panel was last shown. */
  get channel(): PageChannel | undefined {
    return this.page?.channel;
  }

  private receive(envelope: unknown): void {
    const { page, message } = (envelope ?? {}) as Partial<PanelEnvelope>;
    if (typeof page !== 'string' || this.isDisposed) return;
    if (this.page?.name !== page) this.connect(page);
    this.page!.deliver(message);
  }

  // A page the host has not heard from: the one before it is gone, and so are its requests.
  private connect(name: string): void {
    this.endPage('The panel loaded a new page.');
    let listener: ((message: unknown) => void) | undefined;
    const webview = this.panel.webview;
    const port: Port = {
      // ArrayBuffers in a webview message go as binary; postMessage takes no transfer list.
      post: (message) => void webview.postMessage({ page: name, message } satisfies PanelEnvelope),
      listen: (l) => {
        listener = l;
        return () => (listener = undefined);
      },
    };
    const channel: PageChannel = new Channel<PageApi, PresenterApi>(port, this.handlers);
    this.page = { name, channel, deliver: (message) => listener?.(message) };
  }

  private endPage(reason: string): void {
    this.page?.channel.close(new ChannelError('page-gone', reason));
    this.page = undefined;
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
  const csp = [
    "default-src 'none'",
    `style-src ${webview.cspSource}`,
    `img-src ${webview.cspSource} data:`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
  const strings = escapeAttribute(JSON.stringify(panelStrings()));
  return `<!DOCTYPE html>
<html lang="${escapeAttribute(vscode.env.language)}">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${style}">
<title>${escapeAttribute(vscode.l10n.t('Attention Lens'))}</title>
</head>
<body data-strings="${strings}">
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
