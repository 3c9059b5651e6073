// "Attention Lens: Remove Downloaded Models": frees the disk space of Hub downloads. A removed model
// is simply downloaded again the next time a setting names it.
import * as vscode from 'vscode';
import { formatBytes } from '../models/byteSize';
import type { CachedModel } from '../models/download';
import { log } from './log';
import type { ModelSource } from './modelSource';

export const REMOVE_MODELS_COMMAND = 'attentionLens.removeDownloadedModels';

interface CachedItem extends vscode.QuickPickItem {
  model: CachedModel;
}

/**
 * Asks which downloads to remove and removes them; `ids` (`owner/name@revision`, as other
 * extensions and tests pass them) skips the question. Returns the ids removed.
 */
export async function removeDownloadedModels(models: ModelSource, ids?: string[]): Promise<string[]> {
  // Loaded on use, not at activation: the cache module comes with the Hub client.
  const { listCachedModels, removeCachedModel } = await import('../models/download');
  const cached = await listCachedModels({ cacheDir: models.downloadsDir });
  let chosen: CachedModel[];
  if (Array.isArray(ids)) {
    const wanted = new Set(ids.map((id) => id.toLowerCase()));
    chosen = cached.filter((m) => wanted.has(m.id.toLowerCase()));
  } else {
    if (cached.length === 0) {
      void vscode.window.showInformationMessage(vscode.l10n.t('There are no downloaded models.'));
      return [];
    }
    const picked = await vscode.window.showQuickPick<CachedItem>(
      cached.map((model) => ({
        label: model.id,
        description: formatBytes(model.bytes),
        detail: vscode.l10n.t('Downloaded {0} · commit {1}', new Date(model.completedAt).toLocaleDateString(), model.commit.slice(0, 12)),
        model,
      })),
      { title: vscode.l10n.t('Remove Downloaded Models'), placeHolder: vscode.l10n.t('Choose the models to delete from disk'), canPickMany: true },
    );
    chosen = picked?.map((item) => item.model) ?? [];
  }
  for (const model of chosen) {
    await removeCachedModel(model.id, { cacheDir: models.downloadsDir });
    log().info(`removed the download of ${model.id} (${formatBytes(model.bytes)}) from ${model.folder}`);
  }
  if (chosen.length > 0 && !Array.isArray(ids)) {
    const bytes = chosen.reduce((sum, m) => sum + m.bytes, 0);
    void vscode.window.showInformationMessage(vscode.l10n.t('Removed {0} downloaded models ({1}).', chosen.length, formatBytes(bytes)));
  }
  return chosen.map((m) => m.id);
}
