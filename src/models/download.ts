// Hub models in the Hugging Face cache: fetched once (or found where Python put them) and reused
// offline from then on. A loadable snapshot is never checked against the Hub again (a moving branch
// such as `main` keeps the commit its ref names); remove it to fetch the newer one.
import { readdir, rm, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { forgetDownload, readDownloadRecord } from './downloadRecords';
import {
  cachedCommit, dropUnreferencedBlobs, linkedBlob, pruneEmptyFolders, readRefs, repoCacheFolder, repoOfFolder, snapshotFiles,
  snapshotFolder,
} from './hubCache';
import { parseHubId, type HubId } from './hubId';
import { fetchSnapshot, type FetchOptions } from './snapshot';

export { ModelSourceError, type ModelSourceErrorCode } from './errors';
export type { DownloadProgress, Snapshot } from './snapshot';

export type EnsureOptions = FetchOptions;

/** Where a cache listing or removal looks. */
export interface CacheOptions {
  /** The Hugging Face cache folder. */
  cacheDir: string;
  /** Attention Lens's records of what it downloaded; without them nothing counts as ours. */
  recordsDir?: string;
}

/** A snapshot in the Hugging Face cache. */
export interface CachedModel {
  /** `owner/name@revision`. */
  id: string;
  repo: string;
  /** The ref that names the snapshot (`main` first), else its commit. */
  revision: string;
  commit: string;
  folder: string;
  bytes: number;
  /** When Attention Lens completed it, else when the snapshot folder last changed. */
  completedAt: string;
  /** Whether Attention Lens downloaded (part of) it; the rest came from Python or other tools. */
  byAttentionLens: boolean;
}

function asHubId(id: string | HubId): HubId {
  return typeof id === 'string' ? parseHubId(id) : id;
}

/** Returns the snapshot folder of `id`, downloading what is missing unless the cache has the model. */
export async function ensureHubModel(id: string | HubId, options: EnsureOptions): Promise<string> {
  return (await fetchSnapshot(asHubId(id), options)).folder;
}

/** The snapshots in the cache, whoever downloaded them. */
export async function listCachedModels(options: CacheOptions): Promise<CachedModel[]> {
  const models: CachedModel[] = [];
  const repoFolders = await readdir(options.cacheDir).catch(() => [] as string[]);
  for (const repoFolder of repoFolders) {
    const repo = repoOfFolder(repoFolder);
    if (!repo) continue;
    const repoDir = path.join(options.cacheDir, repoFolder);
    const refs = await readRefs(repoDir);
    for (const commit of await readdir(path.join(repoDir, 'snapshots')).catch(() => [] as string[])) {
      const folder = snapshotFolder(repoDir, commit);
      const files = await snapshotFiles(folder);
      if (files.length === 0) continue;
      const record = options.recordsDir ? await readDownloadRecord(options.recordsDir, options.cacheDir, repo, commit) : undefined;
      const names = [...refs].filter(([, c]) => c === commit).map(([name]) => name);
      const revision = names.includes('main') ? 'main' : record && names.includes(record.revision) ? record.revision : names[0] ?? commit;
      const changed = await stat(folder).then((s) => s.mtime.toISOString(), () => new Date(0).toISOString());
      models.push({
        id: `${repo}@${revision}`,
        repo,
        revision,
        commit,
        folder,
        bytes: files.reduce((sum, f) => sum + f.size, 0),
        completedAt: record?.completedAt ?? changed,
        byAttentionLens: record !== undefined,
      });
    }
  }
  return models.sort((a, b) => a.id.localeCompare(b.id));
}

/**
 * Deletes what Attention Lens downloaded of `owner/name@revision` (every snapshot for `owner/name`);
 * snapshots other tools downloaded are kept unless `anyOrigin`. Returns whether anything went.
 */
export async function removeCachedModel(id: string | HubId, options: CacheOptions & { anyOrigin?: boolean }): Promise<boolean> {
  const hubId = asHubId(id);
  const repoDir = await repoCacheFolder(options.cacheDir, hubId.repo);
  const commits = hubId.revisionGiven
    ? [await cachedCommit(repoDir, hubId.revision)].filter((c): c is string => c !== undefined)
    : await readdir(path.join(repoDir, 'snapshots')).catch(() => [] as string[]);
  let removed = false;
  for (const commit of commits) removed = (await removeSnapshot(repoDir, hubId.repo, commit, options)) || removed;
  // A repo with no snapshot left keeps nothing anyone can use: its refs and markers go too.
  if (removed && (await readdir(path.join(repoDir, 'snapshots')).catch(() => [])).length === 0) {
    await pruneEmptyFolders(path.join(repoDir, 'blobs'));
    if (!(await stat(path.join(repoDir, 'blobs')).catch(() => undefined))) await rm(repoDir, { recursive: true, force: true });
  }
  return removed;
}

async function removeSnapshot(repoDir: string, repo: string, commit: string, options: CacheOptions & { anyOrigin?: boolean }): Promise<boolean> {
  const record = options.recordsDir ? await readDownloadRecord(options.recordsDir, options.cacheDir, repo, commit) : undefined;
  if (!record && !options.anyOrigin) return false;
  const folder = snapshotFolder(repoDir, commit);
  // Ours: the files we downloaded, not those Python had already put there. Theirs, when asked: all.
  const paths = record && !options.anyOrigin
    ? record.fetched
    : (await readdir(folder, { recursive: true, withFileTypes: true }).catch(() => []))
      .filter((e) => !e.isDirectory())
      .map((e) => path.relative(folder, path.join(e.parentPath, e.name)).split(path.sep).join('/'));
  const blobs: string[] = [];
  for (const file of paths) {
    const entry = path.join(folder, ...file.split('/'));
    const blob = (await linkedBlob(entry)) ?? record?.files.find((f) => f.path === file)?.etag;
    if (blob) blobs.push(blob);
    await rm(entry, { force: true });
  }
  if (record) await forgetDownload(options.recordsDir!, options.cacheDir, repo, commit);
  await pruneEmptyFolders(folder);
  if (!(await stat(folder).catch(() => undefined))) {
    for (const [name, target] of await readRefs(repoDir)) {
      if (target === commit) await rm(path.join(repoDir, 'refs', ...name.split('/')), { force: true });
    }
    await pruneEmptyFolders(path.join(repoDir, 'refs'));
    await rm(path.join(repoDir, '.no_exist', commit), { recursive: true, force: true });
  }
  await dropUnreferencedBlobs(repoDir, blobs);
  return true;
}
