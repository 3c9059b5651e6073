// A model fetched from a Hub into the Hugging Face cache as one unit. A snapshot that already holds
// what the engine loads is used without a request, whoever downloaded it. Otherwise each missing
// file goes to blobs/<etag>.<pid>-<random>.incomplete, is checked against the Hub's checksums, and
// only then is renamed to its blob; the snapshot's links are made once every blob is there, config
// and tokenizer last, so no snapshot looks loadable before it is. A crash, a cut connection or a
// cancel can leave litter (swept on the next attempt) but never a half model.
import { listFiles, modelInfo } from '@huggingface/hub';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { noteDownload } from './downloadRecords';
import { ModelSourceError } from './errors';
import { chosenGraph, selectModelFiles, withNamedDataFiles, type RepoFile } from './fileSelection';
import { fetchVerifiedFile } from './fileTransfer';
import {
  dropUnreferencedBlobs, linkedBlob, placeInSnapshot, pruneEmptyFolders, repoCacheFolder, snapshotFolder,
  usableSnapshot, writeRef,
} from './hubCache';
import { hubOffline } from './hubEnvironment';
import { connectToHub, explainFailure, type HubConnection } from './hubConnection';
import { formatHubId, type HubId } from './hubId';
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

export interface FetchOptions extends SnapshotOptions {
  /** The Hugging Face cache folder (`$HF_HUB_CACHE`, …). */
  cacheDir: string;
  /** Where Attention Lens notes the snapshots it downloaded (its own storage); none: not noted. */
  recordsDir?: string;
}

/** A snapshot ready to load, and what this call had to download for it. */
export interface Snapshot {
  repo: string;
  revision: string;
  commit: string;
  folder: string;
  /** The files the engine loads from it. */
  files: RepoFile[];
  /** The paths this call downloaded; empty when the cache already had the model. */
  fetched: string[];
  /** The Hub asked, when one was. */
  endpoint?: string;
}

/** The endpoint used when none is given: HF_ENDPOINT, else the public Hub. */
export function defaultEndpoint(): string {
  return process.env.HF_ENDPOINT || 'https://huggingface.co';
}

/** Makes the cache hold a loadable snapshot of `id`, without any request when it already does. */
export async function fetchSnapshot(id: HubId, options: FetchOptions): Promise<Snapshot> {
  if (options.signal?.aborted) {
    throw new ModelSourceError('cancelled', `The download of ${id.repo} was cancelled.`);
  }
  const cached = await usableSnapshot(options.cacheDir, id, options.precision);
  if (cached) return { repo: id.repo, revision: id.revision, ...cached, fetched: [] };
  if (hubOffline()) {
    throw new ModelSourceError(
      'offline-mode',
      `${formatHubId(id)} is not in the Hugging Face cache (${options.cacheDir}), and HF_HUB_OFFLINE is set, so it was not downloaded.`,
    );
  }

  const connection = connectToHub(options.endpoint ?? defaultEndpoint(), options.token ?? process.env.HF_TOKEN, options.signal);
  let commit: string;
  let listed: RepoFile[];
  try {
    commit = await resolveCommit(id, connection);
    listed = await listRepoFiles(id, commit, connection);
  } catch (err) {
    throw explainFailure(err, id, connection, { stage: 'connect' });
  }
  const repoDir = await repoCacheFolder(options.cacheDir, id.repo);
  await sweepLitter(repoDir);
  const written: string[] = [];
  try {
    const { chosen, fetched } = await fetchMissing(id, commit, listed, repoDir, connection, options, written);
    // Weights and external data first, then the graph, config and tokenizer last: whatever the
    // snapshot already had, it looks loadable only once everything is linked.
    const order = (f: RepoFile): number => (f.path === 'config.json' || f.path === 'tokenizer.json' ? 2 : f.path.endsWith('.onnx') ? 1 : 0);
    for (const file of [...chosen].sort((a, b) => order(a) - order(b))) {
      if ((await cacheState(repoDir, commit, file)) !== 'in-snapshot') await placeInSnapshot(repoDir, commit, file.path, etagOf(file, connection));
    }
    await writeRef(repoDir, id.revision, commit);
    if (options.recordsDir && fetched.length > 0) {
      await noteDownload(options.recordsDir, {
        format: 'attention-lens/hub-download/v1',
        cacheDir: path.resolve(options.cacheDir),
        repo: id.repo,
        revision: id.revision,
        commit,
        endpoint: connection.endpoint,
        files: chosen.map((f) => ({ path: f.path, size: f.size, etag: etagOf(f, connection) })),
        fetched,
        completedAt: new Date().toISOString(),
      });
    }
    await dropCopiedBlobs(repoDir, commit, written);
    return { repo: id.repo, revision: id.revision, commit, folder: snapshotFolder(repoDir, commit), files: chosen, fetched, endpoint: connection.endpoint };
  } catch (err) {
    // What this attempt wrote goes, unless a snapshot (another download's) links to it by now.
    await dropUnreferencedBlobs(repoDir, written);
    await pruneEmptyFolders(repoDir);
    throw explainFailure(err, id, connection, { stage: 'connect' });
  }
}

/** Downloads the chosen files the cache lacks into blobs; returns the final choice and what was fetched. */
async function fetchMissing(
  id: HubId, commit: string, listed: RepoFile[], repoDir: string, connection: HubConnection, options: FetchOptions, written: string[],
): Promise<{ chosen: RepoFile[]; fetched: string[] }> {
  let chosen = selectModelFiles(id.repo, listed, options.precision);
  const missing = new Set<RepoFile>();
  const findMissing = async (files: RepoFile[]): Promise<void> => {
    for (const f of files) if ((await cacheState(repoDir, commit, f)) === 'missing') missing.add(f);
  };
  await findMissing(chosen);
  const totalOf = (): number => chosen.filter((f) => missing.has(f)).reduce((sum, f) => sum + f.size, 0);
  let bytesTotal = totalOf();
  let bytesDone = 0;
  const fetched: string[] = [];
  const first = chosen.find((f) => missing.has(f));
  if (first) options.onProgress?.(0, bytesTotal, first.path);
  for (let i = 0; i < chosen.length; i++) {
    const file = chosen[i];
    const etag = etagOf(file, connection);
    const blob = path.join(repoDir, 'blobs', etag);
    if (missing.has(file)) {
      const incoming = `${blob}.${process.pid}-${randomBytes(4).toString('hex')}.incomplete`;
      try {
        await fetchVerifiedFile({ repo: id.repo, commit, connection }, file, incoming, (bytes) => {
          bytesDone += bytes;
          options.onProgress?.(bytesDone, bytesTotal, file.path);
        });
        await rename(incoming, blob);
        written.push(etag);
        fetched.push(file.path);
      } catch (err) {
        throw explainFailure(err, id, connection, { stage: 'transfer', file: file.path });
      } finally {
        await rm(incoming, { force: true });
      }
    }
    // The graph names its external data files: fetch exactly those.
    if (file === chosenGraph(chosen)) {
      const graph = existsSync(blob) ? blob : path.join(snapshotFolder(repoDir, commit), ...file.path.split('/'));
      const before = new Set(chosen);
      chosen = withNamedDataFiles(id.repo, chosen, await readFile(graph), listed);
      await findMissing(chosen.filter((f) => !before.has(f)));
      bytesTotal = totalOf();
    }
  }
  return { chosen, fetched };
}

// The blob's name is the file's etag: the sha256 of LFS files, the git blob id of the rest, the same
// names huggingface_hub gives them.
function etagOf(file: RepoFile, connection: HubConnection): string {
  const etag = (file.lfsSha256 ?? file.gitOid)?.toLowerCase();
  if (!etag || !/^[0-9a-f]{40,64}$/.test(etag)) {
    throw new ModelSourceError('server', `${connection.endpoint} listed ${file.path} without a checksum, so it cannot be verified.`);
  }
  return etag;
}

// `in-snapshot`: the snapshot has the file (a link to its blob, or a copy of the right size);
// `in-blobs`: another revision brought the same content; `missing`: it must be downloaded.
async function cacheState(repoDir: string, commit: string, file: RepoFile): Promise<'in-snapshot' | 'in-blobs' | 'missing'> {
  const etag = (file.lfsSha256 ?? file.gitOid ?? '').toLowerCase();
  const entry = path.join(snapshotFolder(repoDir, commit), ...file.path.split('/'));
  const present = await stat(entry).catch(() => undefined);
  if (present?.isFile() && present.size === file.size) {
    const blob = await linkedBlob(entry);
    if (blob === undefined || blob === etag) return 'in-snapshot';
  }
  const blob = await stat(path.join(repoDir, 'blobs', etag)).catch(() => undefined);
  return blob?.isFile() && blob.size === file.size ? 'in-blobs' : 'missing';
}

// Where the snapshot holds copies (no links), the blobs this download wrote are not needed twice;
// huggingface_hub keeps only the copy too.
async function dropCopiedBlobs(repoDir: string, commit: string, written: string[]): Promise<void> {
  if (written.length === 0) return;
  const folder = snapshotFolder(repoDir, commit);
  const entries = await readdir(folder, { recursive: true }).catch(() => [] as string[]);
  for (const entry of entries) if (await linkedBlob(path.join(folder, entry))) return;
  await dropUnreferencedBlobs(repoDir, written);
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

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === 'EPERM';
  }
}

/** Removes the unfinished blobs of downloads whose process no longer runs (the pid is in the name). */
export async function sweepLitter(repoDir: string): Promise<void> {
  const blobs = path.join(repoDir, 'blobs');
  const entries = await readdir(blobs).catch(() => [] as string[]);
  for (const entry of entries) {
    const match = /^[0-9a-f]{40,64}\.(\d+)-[0-9a-f]{8}\.incomplete$/.exec(entry);
    if (!match) continue;
    const pid = Number(match[1]);
    if (pid === process.pid || processIsAlive(pid)) continue;
    await rm(path.join(blobs, entry), { force: true });
  }
}
