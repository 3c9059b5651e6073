// The download cache: Hub models fetched once into `<cacheDir>/<owner>--<name>/<revision>/` and
// reused offline from then on. A complete folder is never checked against the Hub again (a moving
// branch such as `main` keeps the commit it was fetched at); remove it to fetch the newer one.
import { readdir, rm } from 'node:fs/promises';
import * as path from 'node:path';
import { parseHubId, repoFolderName, revisionFolderName, type HubId } from './hubId';
import { fetchSnapshot, readCompleteSnapshot, sweepLitter, type SnapshotOptions } from './snapshot';

export { ModelSourceError, type ModelSourceErrorCode } from './errors';
export type { DownloadProgress, SnapshotRecord } from './snapshot';

export interface EnsureOptions extends SnapshotOptions {
  /** Root of the download cache (the extension passes its global storage folder). */
  cacheDir: string;
}

/** A complete model in the cache. */
export interface CachedModel {
  /** `owner/name@revision`. */
  id: string;
  repo: string;
  revision: string;
  /** The commit the files were fetched at. */
  commit: string;
  folder: string;
  bytes: number;
  completedAt: string;
}

function asHubId(id: string | HubId): HubId {
  return typeof id === 'string' ? parseHubId(id) : id;
}

/** The folder a model has, or will have, in the cache. */
export function cachedModelFolder(id: string | HubId, cacheDir: string): string {
  const hubId = asHubId(id);
  return path.join(cacheDir, repoFolderName(hubId), revisionFolderName(hubId.revision));
}

/** Returns the folder of a complete download of `id`, downloading it first unless it is cached. */
export async function ensureHubModel(id: string | HubId, options: EnsureOptions): Promise<string> {
  const hubId = asHubId(id);
  const folder = cachedModelFolder(hubId, options.cacheDir);
  await fetchSnapshot(hubId, folder, options);
  return folder;
}

/** The complete models in the cache; unfinished downloads are not listed. */
export async function listCachedModels(options: { cacheDir: string }): Promise<CachedModel[]> {
  const models: CachedModel[] = [];
  const repos = await readdir(options.cacheDir, { withFileTypes: true }).catch(() => []);
  for (const repoEntry of repos) {
    if (!repoEntry.isDirectory() || repoEntry.name.startsWith('.') || !repoEntry.name.includes('--')) continue;
    const repoDir = path.join(options.cacheDir, repoEntry.name);
    const revisions = await readdir(repoDir, { withFileTypes: true }).catch(() => []);
    for (const revisionEntry of revisions) {
      if (!revisionEntry.isDirectory() || revisionEntry.name.startsWith('.')) continue;
      const folder = path.join(repoDir, revisionEntry.name);
      const record = await readCompleteSnapshot(folder);
      if (!record) continue;
      models.push({
        id: `${record.repo}@${record.revision}`,
        repo: record.repo,
        revision: record.revision,
        commit: record.commit,
        folder,
        bytes: record.files.reduce((sum, f) => sum + f.size, 0),
        completedAt: record.completedAt,
      });
    }
  }
  return models.sort((a, b) => a.id.localeCompare(b.id));
}

/**
 * Deletes a cached model: the named revision for `owner/name@revision`, every revision for
 * `owner/name`. Returns whether anything was there.
 */
export async function removeCachedModel(id: string | HubId, options: { cacheDir: string }): Promise<boolean> {
  const hubId = asHubId(id);
  const repoDir = path.join(options.cacheDir, repoFolderName(hubId));
  const target = hubId.revisionGiven ? cachedModelFolder(hubId, options.cacheDir) : repoDir;
  const existed = await readdir(target).then(
    () => true,
    () => false,
  );
  await rm(target, { recursive: true, force: true });
  if (hubId.revisionGiven) await sweepLitter(target);
  return existed;
}
