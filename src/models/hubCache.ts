// The Hugging Face cache, laid out as huggingface_hub (Python) and the tools built on it lay it out,
// so that a model one of them downloaded opens here without a second copy, and ours open there:
//   <cache>/models--<owner>--<name>/blobs/<etag>               contents, named by sha256 (LFS files)
//                                                                or git blob id (the rest)
//   <cache>/models--<owner>--<name>/refs/<revision>            the commit a branch or tag named
//   <cache>/models--<owner>--<name>/snapshots/<commit>/<path>  relative links to ../../blobs/<etag>
// Where links cannot be made (Windows without developer mode), snapshots hold copies instead.
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, readFile, readdir, readlink, rename, rm, rmdir, stat, symlink, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { PrecisionChoice } from '../protocol';
import { selectModelFiles, type RepoFile } from './fileSelection';
import type { HubId } from './hubId';

const COMMIT = /^[0-9a-f]{40}$/;
const REPO_FOLDER = /^models--(.+)$/;

/** The folder of a repo in the cache; an existing one spelt in another case is found too (ids ignore case). */
export async function repoCacheFolder(cacheDir: string, repo: string): Promise<string> {
  const name = `models--${repo.split('/').join('--')}`;
  const entries = await readdir(cacheDir).catch(() => [] as string[]);
  return path.join(cacheDir, entries.find((e) => e === name) ?? entries.find((e) => e.toLowerCase() === name.toLowerCase()) ?? name);
}

/** The repo id a cache folder name stands for (`models--owner--name` → `owner/name`). */
export function repoOfFolder(folderName: string): string | undefined {
  const match = REPO_FOLDER.exec(folderName);
  return match ? match[1].split('--').join('/') : undefined;
}

/** A snapshot: the folder of one commit. */
export function snapshotFolder(repoDir: string, commit: string): string {
  return path.join(repoDir, 'snapshots', commit);
}

/** Every ref of a repo (`main`, `v1`, `refs/pr/1`) and the commit it names. */
export async function readRefs(repoDir: string): Promise<Map<string, string>> {
  const refs = new Map<string, string>();
  const root = path.join(repoDir, 'refs');
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    const commit = (await readFile(file, 'utf8').catch(() => '')).trim();
    if (COMMIT.test(commit)) refs.set(path.relative(root, file).split(path.sep).join('/'), commit);
  }
  return refs;
}

/** The commit `revision` names in the cache: refs/<revision>, or the revision itself when it is a commit with a snapshot. */
export async function cachedCommit(repoDir: string, revision: string): Promise<string | undefined> {
  const ref = (await readFile(path.join(repoDir, 'refs', ...revision.split('/')), 'utf8').catch(() => '')).trim();
  if (COMMIT.test(ref)) return ref;
  if (COMMIT.test(revision) && (await stat(snapshotFolder(repoDir, revision)).catch(() => undefined))?.isDirectory()) return revision;
  return undefined;
}

/** Points refs/<revision> at `commit` (written whole, so a reader never sees half a hash). */
export async function writeRef(repoDir: string, revision: string, commit: string): Promise<void> {
  if (revision === commit) return;
  const file = path.join(repoDir, 'refs', ...revision.split('/'));
  await mkdir(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temporary, commit);
  await rename(temporary, file);
}

/** The files a snapshot holds, following its links; broken links are left out. */
export async function snapshotFiles(folder: string): Promise<RepoFile[]> {
  const entries = await readdir(folder, { recursive: true }).catch(() => [] as string[]);
  const files: RepoFile[] = [];
  for (const entry of entries) {
    const info = await stat(path.join(folder, entry)).catch(() => undefined);
    if (info?.isFile()) files.push({ path: entry.split(path.sep).join('/'), size: info.size });
  }
  return files;
}

/** A snapshot in the cache that a model can be loaded from as it is. */
export interface UsableSnapshot {
  folder: string;
  commit: string;
  files: RepoFile[];
}

/**
 * The snapshot of `id` when it already holds what the engine loads at `precision` (config.json,
 * tokenizer.json and weights), whoever downloaded it; no request is made.
 */
export async function usableSnapshot(cacheDir: string, id: HubId, precision: PrecisionChoice = 'auto'): Promise<UsableSnapshot | undefined> {
  const repoDir = await repoCacheFolder(cacheDir, id.repo);
  const commit = await cachedCommit(repoDir, id.revision);
  if (!commit) return undefined;
  const folder = snapshotFolder(repoDir, commit);
  const files = await snapshotFiles(folder);
  if (!files.some((f) => f.path === 'tokenizer.json')) return undefined;
  try {
    return { folder, commit, files: selectModelFiles(id.repo, files, precision) };
  } catch {
    return undefined;
  }
}

/** The blob a snapshot entry links to (its etag), or undefined for a copy or nothing. */
export async function linkedBlob(entry: string): Promise<string | undefined> {
  const target = await readlink(entry).catch(() => undefined);
  return target === undefined ? undefined : path.basename(target);
}

const NO_LINKS = new Set(['EPERM', 'EACCES', 'ENOTSUP', 'EOPNOTSUPP', 'EINVAL']);

/**
 * Puts blobs/<etag> into the snapshot at `file` as a relative link, replacing whatever was there in
 * one rename; copies the blob where the file system refuses links. Returns whether it linked.
 */
export async function placeInSnapshot(repoDir: string, commit: string, file: string, etag: string): Promise<boolean> {
  const dest = path.join(snapshotFolder(repoDir, commit), ...file.split('/'));
  const blob = path.join(repoDir, 'blobs', etag);
  await mkdir(path.dirname(dest), { recursive: true });
  const temporary = `${dest}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  let linked = true;
  try {
    await symlink(path.relative(path.dirname(dest), blob), temporary, 'file');
  } catch (err) {
    if (!NO_LINKS.has((err as { code?: string }).code ?? '')) throw err;
    linked = false;
    await copyFile(blob, temporary);
  }
  try {
    await rename(temporary, dest);
  } catch (err) {
    await rm(temporary, { force: true });
    throw err;
  }
  return linked;
}

/** The blobs that some snapshot of the repo still links to. */
export async function referencedBlobs(repoDir: string): Promise<Set<string>> {
  const used = new Set<string>();
  const root = path.join(repoDir, 'snapshots');
  const entries = await readdir(root, { recursive: true }).catch(() => [] as string[]);
  for (const entry of entries) {
    const blob = await linkedBlob(path.join(root, entry));
    if (blob !== undefined) used.add(blob);
  }
  return used;
}

/** Deletes those of `etags` that no snapshot links to any more. */
export async function dropUnreferencedBlobs(repoDir: string, etags: Iterable<string>): Promise<void> {
  const used = await referencedBlobs(repoDir);
  for (const etag of new Set(etags)) {
    if (!used.has(etag)) await rm(path.join(repoDir, 'blobs', etag), { force: true });
  }
}

/** Removes empty folders under `dir`, and `dir` itself when it ends up empty; a folder another process fills meanwhile stays. */
export async function pruneEmptyFolders(dir: string): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => undefined);
  if (!entries) return;
  for (const entry of entries) if (entry.isDirectory()) await pruneEmptyFolders(path.join(dir, entry.name));
  await rmdir(dir).catch(() => undefined);
}
