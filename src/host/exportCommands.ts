// "Export Report as JSON" and "Export View as PNG": the current inspection's `attention-lens/v1`
// report, or a view of the panel as the webview drew it, saved where the user picks in a save
// dialog. The panel's Export menu asks for the same through the presenter; the PNG bytes always come
// from the webview, which alone has the canvases. The report is written by the engine from its
// attention store, straight to the file: the extension host never holds the attention.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Disposable } from './disposable';
import type { EditorLens } from './editorLens';
import type { HostEngine } from './hostEngine';
import { log } from './log';
import type { PanelPresenter } from './presenter';
import type { ExportView, PanelPng } from '../protocol';
import { headChoice } from '../viewState';

export const EXPORT_REPORT_COMMAND = 'attentionLens.exportReport';
export const EXPORT_VIEW_COMMAND = 'attentionLens.exportView';

const EXPORT_VIEWS: readonly ExportView[] = ['matrix', 'heads', 'model'];
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
// How long the panel may take to draw a view; a panel that was hidden loads afresh first.
const PANEL_ANSWER_MS = 30_000;

/** What an export wrote; undefined from the commands when the user cancelled or it failed. */
export interface ExportResult {
  uri: vscode.Uri;
  bytes: number;
  /** For PNG exports: the view and the image's size in pixels. */
  view?: ExportView;
  width?: number;
  height?: number;
}

export type SaveDialog = (options: vscode.SaveDialogOptions) => Thenable<vscode.Uri | undefined>;

export class Exporter extends Disposable {
  /** The save dialog; the integration tests replace it through the probe. */
  saveDialog: SaveDialog = (options) => vscode.window.showSaveDialog(options);

  constructor(private readonly lens: EditorLens, private readonly presenter: PanelPresenter, private readonly engine: HostEngine) {
    super();
    this.register(presenter.onDidAskExport((what) => void (what === 'report' ? this.exportReport() : this.exportView(what))));
    this.register(vscode.commands.registerCommand(EXPORT_REPORT_COMMAND, () => this.exportReport()));
    this.register(vscode.commands.registerCommand(EXPORT_VIEW_COMMAND, (view?: unknown) => this.exportView(view)));
  }

  /** Writes the current inspection's report as JSON where the user chooses. */
  async exportReport(): Promise<ExportResult | undefined> {
    const inspection = this.lens.inspection;
    if (!inspection) return this.nothingToExport();
    const uri = await this.saveDialog({
      title: vscode.l10n.t('Export Report as JSON'),
      saveLabel: vscode.l10n.t('Export'),
      defaultUri: this.defaultUri(`attention-${fileSafe(inspection.started.model.id)}.json`),
      filters: { [vscode.l10n.t('Attention report (JSON)')]: ['json'] },
    });
    if (!uri) return undefined;
    const controller = new AbortController();
    try {
      // Hundreds of megabytes for long inputs: a progress notification that can cancel.
      const bytes = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Writing the attention report…'), cancellable: true },
        (progress, token) => {
          token.onCancellationRequested(() => controller.abort());
          let reported = 0;
          return this.writeReport(inspection.id, uri, (fraction) => {
            const percent = Math.floor(fraction * 100);
            if (percent > reported) progress.report({ increment: percent - reported });
            reported = percent;
          }, controller.signal);
        },
      );
      this.saved(uri);
      return { uri, bytes };
    } catch (err) {
      if (controller.signal.aborted) return undefined;
      this.failed(uri, err);
      return undefined;
    }
  }

  // The engine writes files on this machine: straight to a file URI, else to a temporary file that is
  // then copied where the user asked (a remote or virtual folder), the one case the host holds the bytes.
  private async writeReport(id: number, uri: vscode.Uri, progress: (fraction: number) => void, signal: AbortSignal): Promise<number> {
    if (uri.scheme === 'file') return this.engine.writeReport({ inspection: id, file: uri.fsPath, format: 'json' }, progress, signal);
    const folder = await mkdtemp(path.join(tmpdir(), 'attention-lens-report-'));
    try {
      const file = path.join(folder, 'report.json');
      await this.engine.writeReport({ inspection: id, file, format: 'json' }, progress, signal);
      const bytes = await readFile(file);
      await vscode.workspace.fs.writeFile(uri, bytes);
      return bytes.length;
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  }

  /** Asks the panel for `view` as PNG (default: the view last used there) and saves it. */
  async exportView(view?: unknown): Promise<ExportResult | undefined> {
    if (!this.lens.inspection) return this.nothingToExport();
    const asked = typeof view === 'string' && (EXPORT_VIEWS as readonly string[]).includes(view) ? (view as ExportView) : undefined;
    let png: PanelPng;
    try {
      png = await this.presenter.renderPng(asked, PANEL_ANSWER_MS);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (code === 'timeout' || code === 'cancelled' || code === 'page-gone') {
        void vscode.window.showErrorMessage(vscode.l10n.t('The Attention Lens panel did not draw the view in time. Show the panel and try again.'));
        return undefined;
      }
      const message = err instanceof Error ? err.message : String(err);
      log().warn(`export of the ${asked ?? 'current'} view failed in the panel: ${message}`);
      void vscode.window.showErrorMessage(vscode.l10n.t('The view could not be turned into an image: {0}', message));
      return undefined;
    }
    return this.savePng(png);
  }

  private async savePng(message: PanelPng): Promise<ExportResult | undefined> {
    const data = toBytes(message.data);
    if (!data || !PNG_SIGNATURE.every((b, i) => data[i] === b) || !EXPORT_VIEWS.includes(message.view)) {
      log().warn(`ignored an exportPng message that holds no PNG image (${message.view})`);
      void vscode.window.showErrorMessage(vscode.l10n.t('The view could not be turned into an image: {0}', vscode.l10n.t('the panel sent no PNG data')));
      return undefined;
    }
    const inspection = this.lens.inspection;
    const model = fileSafe(inspection?.started.model.id ?? 'view');
    const { layer } = this.presenter.view;
    const head = headChoice(this.presenter.view);
    const name = message.view === 'model'
      ? `attention-${model}-model.png`
      : message.view === 'heads'
        ? `attention-${model}-${layer}-heads.png`
        : `attention-${model}-${layer}-${head}.png`;
    const uri = await this.saveDialog({
      title: vscode.l10n.t('Export View as PNG'),
      saveLabel: vscode.l10n.t('Export'),
      defaultUri: this.defaultUri(name),
      filters: { [vscode.l10n.t('PNG image')]: ['png'] },
    });
    if (!uri) return undefined;
    try {
      await vscode.workspace.fs.writeFile(uri, data);
    } catch (err) {
      this.failed(uri, err);
      return undefined;
    }
    this.saved(uri);
    return { uri, bytes: data.length, view: message.view, width: message.width, height: message.height };
  }

  // Beside the inspected file when it is on disk, else in the first workspace folder.
  private defaultUri(name: string): vscode.Uri | undefined {
    const document = this.lens.inspection?.document;
    if (document && document.uri.scheme === 'file') return vscode.Uri.joinPath(document.uri, '..', name);
    const folder = vscode.workspace.workspaceFolders?.[0];
    return folder ? vscode.Uri.joinPath(folder.uri, name) : undefined;
  }

  private nothingToExport(): undefined {
    void vscode.window.showInformationMessage(vscode.l10n.t('Nothing to export yet: select text and run "Attention Lens: Inspect Selection" first.'));
    return undefined;
  }

  private saved(uri: vscode.Uri): void {
    log().info(`exported ${uri.toString(true)}`);
    const reveal = vscode.l10n.t('Reveal');
    void vscode.window.showInformationMessage(vscode.l10n.t('Saved to {0}', where(uri)), reveal).then((choice) => {
      if (choice !== reveal) return;
      if (vscode.workspace.getWorkspaceFolder(uri)) void vscode.commands.executeCommand('revealInExplorer', uri);
      else if (uri.scheme === 'file' && vscode.env.uiKind === vscode.UIKind.Desktop) void vscode.commands.executeCommand('revealFileInOS', uri);
      else void vscode.commands.executeCommand('vscode.open', uri);
    });
  }

  private failed(uri: vscode.Uri, err: unknown): void {
    log().error(`export to ${uri.toString(true)} failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
    void vscode.window.showErrorMessage(vscode.l10n.t('Could not save {0}: {1}', where(uri), plainReason(err)));
  }
}

/** A model id as part of a file name: `owner/name@rev` → `owner-name-rev`. */
export function fileSafe(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'model';
}

function where(uri: vscode.Uri): string {
  return uri.scheme === 'file' ? uri.fsPath : uri.toString(true);
}

function plainReason(err: unknown): string {
  if (err instanceof vscode.FileSystemError) {
    switch (err.code) {
      case 'NoPermissions':
        return vscode.l10n.t('you do not have permission to write there.');
      case 'FileNotFound':
      case 'EntryNotFound':
        return vscode.l10n.t('the folder does not exist.');
      case 'FileIsADirectory':
      case 'EntryIsADirectory':
        return vscode.l10n.t('a folder of that name is already there.');
      case 'Unavailable':
        return vscode.l10n.t('the disk or location is not available right now.');
    }
  }
  return err instanceof Error ? err.message : String(err);
}

function toBytes(data: unknown): Uint8Array | undefined {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return undefined;
}
