// "Attention Lens: Remove Downloaded Models": frees the disk space of Hub downloads. The Hugging Face
// cache is shared with Python and other tools, so only what Attention Lens downloaded is removed
// as a matter of course; a snapshot another tool downloaded goes only after the person confirms.
// A removed model is simply downloaded again the next time a setting names it.
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
 * extensions and tests pass them) skips the questions and removes only Attention Lens's own
 * downloads. Returns the ids removed.
 */
export async function removeDownloadedModels(models: ModelSource, ids?: string[]): Promise<string[]> {
  // Loaded on use, not at activation: the cache module comes with the Hub client.
  const { listCachedModels, removeCachedModel } = await import('../models/download');
  const where = { cacheDir: models.hubCacheDir, recordsDir: models.recordsDir };
  const cached = await listCachedModels(where);
  let chosen: CachedModel[];
  if (Array.isArray(ids)) {
    const wanted = new Set(ids.map((id) => id.toLowerCase()));
    chosen = cached.filter((m) => m.byAttentionLens && (wanted.has(m.id.toLowerCase()) || wanted.has(`${m.repo}@${m.commit}`.toLowerCase())));
  } else {
    chosen = await ask(cached);
  }
  for (const model of chosen) {
    await removeCachedModel(`${model.repo}@${model.commit}`, { ...where, anyOrigin: !model.byAttentionLens });
    log().info(`removed ${model.byAttentionLens ? 'the download' : 'the Hugging Face cache snapshot'} of ${model.id} (${formatBytes(model.bytes)}) from ${model.folder}`);
  }
  if (chosen.length > 0 && !Array.isArray(ids)) {
    const bytes = chosen.reduce((sum, m) => sum + m.bytes, 0);
    void vscode.window.showInformationMessage(vscode.l10n.t('Removed {0} downloaded models ({1}).', chosen.length, formatBytes(bytes)));
  }
  return chosen.map((m) => m.id);
}

// Attention Lens's downloads first; the rest of the Hugging Face cache below them, said to be
// shared, and confirmed once more before anything of it is deleted.
async function ask(cached: CachedModel[]): Promise<CachedModel[]> {
  if (cached.length === 0) {
    void vscode.window.showInformationMessage(vscode.l10n.t('There are no downloaded models.'));
    return [];
  }
  const ours = cached.filter((m) => m.byAttentionLens);
  const theirs = cached.filter((m) => !m.byAttentionLens);
  const item = (model: CachedModel): CachedItem => ({
    label: model.id,
    description: formatBytes(model.bytes),
    detail: model.byAttentionLens
      ? vscode.l10n.t('Downloaded {0} · commit {1}', new Date(model.completedAt).toLocaleDateString(), model.commit.slice(0, 12))
      : vscode.l10n.t('Downloaded by another tool (such as Python) · commit {0}', model.commit.slice(0, 12)),
    model,
  });
  const separator = (label: string) => ({ label, kind: vscode.QuickPickItemKind.Separator }) as CachedItem;
  const picked = await vscode.window.showQuickPick<CachedItem>(
    [
      ...ours.map(item),
      ...(theirs.length > 0 ? [separator(vscode.l10n.t('Also in the Hugging Face cache')), ...theirs.map(item)] : []),
    ],
    { title: vscode.l10n.t('Remove Downloaded Models'), placeHolder: vscode.l10n.t('Choose the models to delete from disk'), canPickMany: true },
  );
  const chosen = picked?.map((p) => p.model) ?? [];
  const shared = chosen.filter((m) => !m.byAttentionLens);
  if (shared.length === 0) return chosen;
  const remove = vscode.l10n.t('Delete');
  const answer = await vscode.window.showWarningMessage(
    vscode.l10n.t('{0} was not downloaded by Attention Lens. Programs that use the Hugging Face cache, such as Python scripts, will have to download it again. Delete it?', shared.map((m) => m.id).join(', ')),
    { modal: true },
    remove,
  );
  return answer === remove ? chosen : chosen.filter((m) => m.byAttentionLens);
}
