// A model folder fetched from a Hub as one unit. Files are downloaded into a hidden sibling folder,
// each checked against the Hub's checksums; a record of what was fetched is written last, and only
// then is the folder renamed into place. A folder without that record is never used, so a crash,
// a cut connection or a cancel can leave litter (swept on the next attempt) but never a half model.
import { listFiles, modelInfo } from '@huggingface/hub';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { ModelSourceError } from './errors';
import { chosenGraph, selectModelFiles, withNamedDataFiles, type RepoFile } from './fileSelection';
import { fetchVerifiedFile } from './fileTransfer';
import { connectToHub, explainFailure, type HubConnection } from './hubConnection';
import type { HubId } from './hubId';
import type { PrecisionChoice } from '../protocol';

/** Called as bytes arrive: bytes so far and in total over all files, and the file being fetched. */
export type DownloadProgress = (bytesDone: number, bytesTotal: number, file: string) => void;

export interface SnapshotOptions {
  /** Hub base URL; defaults to HF_ENDPOINT, then https://huggingface.co. */
  endpoint?: string;
  /** Access token for gated or private repos; defaults to HF_TOKEN. */
  token?: string;
  onProgress?: DownloadProgress;
  signal?: AbortSignal;
  /** Which variant graph to fetch when the repo has several (only that one and its data files come). */
  precision?: PrecisionChoice;
}

/** What a complete folder holds and where it came from; stored in the folder as its marker. */
export interface SnapshotRecord {
  format: 'attention-lens/hub-snapshot/v1';
  repo: string;
  revision: string;
  commit: string;
  endpoint: string;
  files: { path: string; size: number; sha256?: string; gitOid?: string }[];
  completedAt: string;
}

/** The marker file; its presence (with matching files) is what makes a folder complete. */
export const SNAPSHOT_MARKER = '.hub-snapshot.json';

/** The endpoint used when none is given: HF_ENDPOINT, else the public Hub. */
export function defaultEndpoint(): string {
  return process.env.HF_ENDPOINT || 'https://huggingface.co';
}

/** The record of `folder` if it holds a complete download of `id` with every file intact. */
export async function readCompleteSnapshot(folder: string, id?: HubId): Promise<SnapshotRecord | undefined> {
  let record: SnapshotRecord;
  try {
    record = JSON.parse(await readFile(path.join(folder, SNAPSHOT_MARKER), 'utf8')) as SnapshotRecord;
  } catch {
    return undefined;
  }
  if (record.format !== 'attention-lens/hub-snapshot/v1' || !Array.isArray(record.files)) return undefined;
  if (id && (record.repo.toLowerCase() !== id.repo.toLowerCase() || (record.revision !== id.revision && record.commit !== id.revision))) {
    return undefined;
  }
  // Sizes only: hashing gigabytes on every start would make reuse slow, and the hashes were
  // checked when the files arrived.
  for (const file of record.files) {
    const info = await stat(path.join(folder, file.path)).catch(() => undefined);
    if (!info?.isFile() || info.size !== file.size) return undefined;
  }
  return record;
}

/** Makes `folder` a complete download of `id`, reusing it without any request when it already is. */
export async function fetchSnapshot(id: HubId, folder: string, options: SnapshotOptions = {}): Promise<SnapshotRecord> {
  const endpoint = options.endpoint ?? defaultEndpoint();
  if (options.signal?.aborted) {
    throw new ModelSourceError('cancelled', `The download of ${id.repo} was cancelled.`);
  }
  const existing = await readCompleteSnapshot(folder, id);
  if (existing) return existing;

  const connection = connectToHub(endpoint, options.token ?? process.env.HF_TOKEN, options.signal);
  let commit: string;
  let files: RepoFile[];
  try {
    commit = await resolveCommit(id, connection);
    files = await listRepoFiles(id, commit, connection);
  } catch (err) {
    throw explainFailure(err, id, connection, { stage: 'connect' });
  }
  let chosen = selectModelFiles(id.repo, files, options.precision);
  let bytesTotal = chosen.reduce((sum, f) => sum + f.size, 0);

  await sweepLitter(folder);
  const incoming = siblingName(folder, 'incoming');
  try {
    await mkdir(incoming, { recursive: true });
    let bytesDone = 0;
    options.onProgress?.(0, bytesTotal, chosen[0].path);
    for (let i = 0; i < chosen.length; i++) {
      const file = chosen[i];
      try {
        await fetchVerifiedFile({ repo: id.repo, commit, connection }, file, path.join(incoming, file.path), (bytes) => {
          bytesDone += bytes;
          options.onProgress?.(bytesDone, bytesTotal, file.path);
        });
      } catch (err) {
        throw explainFailure(err, id, connection, { stage: 'transfer', file: file.path });
      }
      // The graph names its external data files: fetch exactly those.
      if (file === chosenGraph(chosen)) {
        chosen = withNamedDataFiles(id.repo, chosen, await readFile(path.join(incoming, file.path)), files);
        bytesTotal = chosen.reduce((sum, f) => sum + f.size, 0);
      }
    }
    const record: SnapshotRecord = {
      format: 'attention-lens/hub-snapshot/v1',
      repo: id.repo,
      revision: id.revision,
      commit,
      endpoint: connection.endpoint,
      files: chosen.map((f) => ({ path: f.path, size: f.size, sha256: f.lfsSha256, gitOid: f.gitOid })),
      completedAt: new Date().toISOString(),
    };
    await writeFile(path.join(incoming, SNAPSHOT_MARKER), JSON.stringify(record, null, 2) + '\n');
    return await moveIntoPlace(incoming, folder, id, record);
  } catch (err) {
    throw explainFailure(err, id, connection, { stage: 'connect' });
  } finally {
    await rm(incoming, { recursive: true, force: true });
  }
}

// Every file is then read at this commit, so a branch that moves mid-download cannot mix versions.
async function resolveCommit(id: HubId, connection: HubConnection): Promise<string> {
  const info = await modelInfo({
    name: id.repo,
    revision: id.revision,
    additionalFields: ['sha'],
    hubUrl: connection.endpoint,
    accessToken: connection.accessToken,
    fetch: connection.fetch,
  });
  return typeof info.sha === 'string' && info.sha.length > 0 ? info.sha : id.revision;
}

async function listRepoFiles(id: HubId, commit: string, connection: HubConnection): Promise<RepoFile[]> {
  const files: RepoFile[] = [];
  for await (const entry of listFiles({
    repo: { type: 'model', name: id.repo },
    revision: commit,
    recursive: true,
    hubUrl: connection.endpoint,
    accessToken: connection.accessToken,
    fetch: connection.fetch,
  })) {
    if (entry.type !== 'file') continue;
    // A listing names files inside the repo; anything that could climb out of the folder is refused.
    if (entry.path.split('/').some((part) => part === '..' || part === '') || path.isAbsolute(entry.path)) continue;
    files.push({ path: entry.path, size: entry.lfs?.size ?? entry.size, gitOid: entry.oid, lfsSha256: entry.lfs?.oid });
  }
  return files;
}

async function moveIntoPlace(incoming: string, folder: string, id: HubId, record: SnapshotRecord): Promise<SnapshotRecord> {
  await mkdir(path.dirname(folder), { recursive: true });
  try {
    await rename(incoming, folder);
    return record;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'EPERM') throw err;
  }
  // Another download (another window) may have finished first: its folder is as good as ours.
  const theirs = await readCompleteSnapshot(folder, id);
  if (theirs) return theirs;
  // An incomplete or different folder is in the way: swap it out, then delete it.
  const replaced = siblingName(folder, 'replaced');
  await rename(folder, replaced);
  await rename(incoming, folder);
  await rm(replaced, { recursive: true, force: true });
  return record;
}

// Hidden siblings on the same file system, so the final rename is atomic; the owner's pid in the
// name lets a later attempt tell litter from a download still running in another process.
function siblingName(folder: string, kind: 'incoming' | 'replaced'): string {
  return path.join(path.dirname(folder), `.${kind}-${path.basename(folder)}-${process.pid}-${randomBytes(4).toString('hex')}`);
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === 'EPERM';
  }
}

/** Removes unfinished siblings of `folder` left by processes that no longer run. */
export async function sweepLitter(folder: string): Promise<void> {
  const parent = path.dirname(folder);
  const base = path.basename(folder);
  const entries = await readdir(parent).catch(() => [] as string[]);
  for (const entry of entries) {
    const match = /^\.(?:incoming|replaced)-(.+)-(\d+)-[0-9a-f]{8}$/.exec(entry);
    if (!match || match[1] !== base) continue;
    const pid = Number(match[2]);
    if (pid === process.pid || processIsAlive(pid)) continue;
    await rm(path.join(parent, entry), { recursive: true, force: true });
  }
}
