// Turns the `attentionLens.model` value into a folder the engine can load: a local folder as it is,
// the bundled default when `npm run models` prepared it, and a Hugging Face id (or the default,
// when it was not bundled) found in the Hugging Face cache or downloaded once into it, with a
// cancellable progress notification. What a value means is decided in models/modelReference,
// shared with the CLI.
import type { PrecisionChoice } from '../protocol';
import * as vscode from 'vscode';
import { formatBytes } from '../models/byteSize';
import { describeCause, ModelSourceError, type ModelSourceErrorCode } from '../models/errors';
import { defaultHubCacheDir, hubOffline } from '../models/hubEnvironment';
import { formatHubId, type HubId } from '../models/hubId';
import {
  bundledModelFolder, downloadRecordsFolder, hubIdToFetch, modelLabel, parseModelReference, type ModelReference,
} from '../models/modelReference';
import { HuggingFaceToken, SET_TOKEN_COMMAND } from './huggingFaceToken';
import { log } from './log';

/** "Attention Lens: Select Model"; errors that a different model fixes offer it. */
export const SELECT_MODEL_COMMAND = 'attentionLens.selectModel';

/** A model ready to load, or why there is none. */
export type LocatedModel =
  | { kind: 'ready'; folder: string; label: string }
  | { kind: 'cancelled' }
  | { kind: 'failed'; code: ModelSourceErrorCode; message: string };

// Progress notifications redraw on every report; a few per second is plenty.
const REPORT_EVERY_MS = 150;

// The Hub client is loaded on the first inspection, not at activation (it costs tens of ms).
const loadLocator = () => import('../models/locateModel');

/** The Hub the downloads come from: HF_ENDPOINT, else huggingface.co. */
export function hubEndpoint(): string {
  return process.env.HF_ENDPOINT || 'https://huggingface.co';
}

let current: ModelSource | undefined;

/** The extension's model source; registerModelCommands sets it up at activation. */
export function modelSource(): ModelSource {
  if (!current) throw new Error('Attention Lens has not set up its model source: activate() does that.');
  return current;
}

/** Makes `source` the one modelSource() returns (undefined when the extension deactivates). */
export function useModelSource(source: ModelSource | undefined): void {
  current = source;
}

export class ModelSource {
  readonly token: HuggingFaceToken;
  // One download per model at a time: a second inspection waits for the first one's outcome (and
  // its failure is shown once).
  private readonly downloads = new Map<string, Promise<LocatedModel>>();

  constructor(private readonly context: vscode.ExtensionContext) {
    this.token = new HuggingFaceToken(context.secrets);
  }

  /** Global storage: records of our downloads under hub-downloads/, graphs built from checkpoints under graphs/. */
  get cacheRoot(): string {
    return this.context.globalStorageUri.fsPath;
  }

  /** The Hugging Face cache shared with Python: $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub. */
  get hubCacheDir(): string {
    return defaultHubCacheDir();
  }

  /** Where the records of the snapshots Attention Lens downloaded are kept. */
  get recordsDir(): string {
    return downloadRecordsFolder(this.cacheRoot);
  }

  /** Where `npm run models` puts the default inside the extension. */
  get bundledDir(): string {
    return bundledModelFolder(this.context.extensionUri.fsPath);
  }

  /** What `value` names; relative paths start at the first workspace folder. */
  reference(value: string): ModelReference {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const base = folder?.scheme === 'file' ? folder.fsPath : undefined;
    return parseModelReference(value, { baseDir: base, workspaceFolder: base });
  }

  /** The folder to load for `value`, downloading it first when needed; failures are shown here. */
  async locate(value: string, precision: PrecisionChoice = 'auto'): Promise<LocatedModel> {
    const reference = this.reference(value);
    const label = modelLabel(reference);
    const { readyFolder } = await loadLocator();
    // A folder, or a complete download, is used without a request and without a notification.
    const ready = await readyFolder(reference, { cacheRoot: this.cacheRoot, hubCacheDir: this.hubCacheDir, bundledDir: this.bundledDir, precision });
    if (ready !== undefined) return { kind: 'ready', folder: ready, label };
    // readyFolder has answered every reference that needs no download.
    const id = hubIdToFetch(reference, this.bundledDir)!;
    const key = formatHubId(id).toLowerCase();
    let download = this.downloads.get(key);
    if (!download) {
      download = this.download(reference, id, label, precision).then(
        (done): LocatedModel => ({ kind: 'ready', folder: done, label }),
        (err: unknown) => this.failed(err, id, label),
      ).finally(() => this.downloads.delete(key));
      this.downloads.set(key, download);
    }
    return download;
  }

  private async download(reference: ModelReference, id: HubId, label: string, precision: PrecisionChoice): Promise<string> {
    const { locateModel } = await loadLocator();
    const token = await this.token.get();
    const endpoint = hubEndpoint();
    // HF_HUB_OFFLINE: no download to show progress for; the locator says why there is no model.
    if (hubOffline()) return locateModel(reference, { cacheRoot: this.cacheRoot, hubCacheDir: this.hubCacheDir, bundledDir: this.bundledDir, precision });
    log().info(`downloading ${formatHubId(id)} from ${endpoint} into ${this.hubCacheDir}${token ? ' with a token' : ''}`);
    return vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Downloading {0}', label), cancellable: true },
      async (progress, cancellation) => {
        const controller = new AbortController();
        const subscription = cancellation.onCancellationRequested(() => controller.abort());
        let shownPercent = 0;
        let shownAt = 0;
        try {
          const folder = await locateModel(reference, {
            cacheRoot: this.cacheRoot,
            hubCacheDir: this.hubCacheDir,
            bundledDir: this.bundledDir,
            endpoint,
            token,
            precision,
            signal: controller.signal,
            onProgress: (done, total, file) => {
              const now = Date.now();
              if (now - shownAt < REPORT_EVERY_MS && done < total) return;
              const percent = total > 0 ? (done / total) * 100 : 0;
              progress.report({
                increment: percent - shownPercent,
                message: vscode.l10n.t('{0} of {1} · {2}', formatBytes(done), formatBytes(total), file),
              });
              shownPercent = percent;
              shownAt = now;
            },
          });
          log().info(`downloaded ${formatHubId(id)} into ${folder}`);
          return folder;
        } finally {
          subscription.dispose();
        }
      },
    );
  }

  private async failed(err: unknown, id: HubId, label: string): Promise<LocatedModel> {
    const error = err instanceof ModelSourceError
      ? err
      : new ModelSourceError('server', err instanceof Error ? err.message : String(err), describeCause(err));
    if (error.code === 'cancelled') {
      log().info(`the download of ${formatHubId(id)} was cancelled`);
      return { kind: 'cancelled' };
    }
    log().error(`${formatHubId(id)}: ${error.message}${error.detail ? `\n${error.detail}` : ''}`);
    const message = explain(error.code, label, hubEndpoint(), (await this.token.get()) !== undefined);
    const setToken = vscode.l10n.t('Set Hugging Face Token');
    const selectModel = vscode.l10n.t('Select Model');
    const showLog = vscode.l10n.t('Show Log');
    const fix = error.code === 'gated' || error.code === 'bad-token'
      ? [setToken]
      : error.code === 'not-found' || error.code === 'bad-id' || error.code === 'unsupported' || error.code === 'offline-mode' ? [selectModel] : [];
    // Not awaited: the promise settles only when the notification is dismissed.
    void vscode.window.showErrorMessage(message, ...fix, showLog).then((choice) => {
      if (choice === setToken) void vscode.commands.executeCommand(SET_TOKEN_COMMAND);
      else if (choice === selectModel) void vscode.commands.executeCommand(SELECT_MODEL_COMMAND);
      else if (choice === showLog) log().show(true);
    });
    return { kind: 'failed', code: error.code, message };
  }
}

// The library's messages are English and name HF_TOKEN; these say the same in the user's language
// and point to the editor's own remedies. The library's text goes to the log with the detail.
function explain(code: ModelSourceErrorCode, label: string, endpoint: string, hadToken: boolean): string {
  switch (code) {
    case 'bad-id':
      return vscode.l10n.t('"{0}" is neither a model folder nor a Hugging Face id; write an id as owner/name or owner/name@revision.', label);
    case 'bad-token':
      return vscode.l10n.t('The Hugging Face token looks wrong: tokens start with "hf_". Set it again with "Attention Lens: Set Hugging Face Token".');
    case 'offline':
      return vscode.l10n.t('Cannot reach {0} to download {1}. Check the connection (or HF_ENDPOINT); models downloaded before keep working offline.', endpoint, label);
    case 'offline-mode':
      return vscode.l10n.t('{0} is not in the Hugging Face cache, and HF_HUB_OFFLINE is set, so it cannot be downloaded. Download it once with the network on, or choose another model.', label);
    case 'not-found':
      return vscode.l10n.t('{0} is neither a folder nor a model on {1}. Check the spelling and the revision; private models also need a token.', label, endpoint);
    case 'gated':
      return hadToken
        ? vscode.l10n.t('The Hugging Face token was refused for {0}: accept the model\'s licence with the account the token belongs to, or set another token.', label)
        : vscode.l10n.t('{0} is gated: accept its licence on the Hugging Face website, then set a token with "Attention Lens: Set Hugging Face Token".', label);
    case 'unsupported':
      return vscode.l10n.t('{0} has nothing Attention Lens can load: it needs config.json and an ONNX export or safetensors weights.', label);
    case 'interrupted':
      return vscode.l10n.t('The download of {0} was interrupted; nothing was kept. Try again.', label);
    case 'sha-mismatch':
      return vscode.l10n.t('A file of {0} did not match the checksum the Hub announced, so nothing was kept. Try again; if it happens again, something on the way is altering downloads.', label);
    case 'disk':
      return vscode.l10n.t('{0} could not be saved: the disk is full or the folder is not writable. The log has the details.', label);
    case 'cancelled':
      return vscode.l10n.t('The download of {0} was cancelled.', label);
    case 'server':
    default:
      return vscode.l10n.t('{0} could not deliver {1} right now; try again later. The log has the details.', endpoint, label);
  }
}
