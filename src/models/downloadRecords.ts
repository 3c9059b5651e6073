// What Attention Lens itself put into the shared Hugging Face cache. The cache belongs to every tool
// on the machine, so "Remove Downloaded Models" must tell our snapshots from Python's: a small record
// per snapshot, kept in Attention Lens's own storage (never inside the cache, where other tools
// would trip over it), names the cache, the commit and the files whose download we made.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';

/** One snapshot we downloaded into, or completed in, a Hugging Face cache. */
export interface DownloadRecord {
  format: 'attention-lens/hub-download/v1';
  /** The Hugging Face cache folder. */
  cacheDir: string;
  repo: string;
  /** The revision asked for (`main`, a tag, a commit). */
  revision: string;
  commit: string;
  endpoint: string;
  /** Every file the model needs, as the Hub listed it; `etag` names its blob. */
  files: { path: string; size: number; etag: string }[];
  /** The paths whose blobs this download wrote; the others were already in the cache. */
  fetched: string[];
  completedAt: string;
}

function recordFile(recordsDir: string, cacheDir: string, repo: string, commit: string): string {
  const key = createHash('sha1').update(`${path.resolve(cacheDir)}\n${repo.toLowerCase()}\n${commit}`).digest('hex').slice(0, 20);
  return path.join(recordsDir, `${key}.json`);
}

/** The record of one snapshot, if Attention Lens downloaded (part of) it. */
export async function readDownloadRecord(recordsDir: string, cacheDir: string, repo: string, commit: string): Promise<DownloadRecord | undefined> {
  try {
    const record = JSON.parse(await readFile(recordFile(recordsDir, cacheDir, repo, commit), 'utf8')) as DownloadRecord;
    return record.format === 'attention-lens/hub-download/v1' && Array.isArray(record.fetched) ? record : undefined;
  } catch {
    return undefined;
  }
}

/** Adds a download to the record of its snapshot (a later download of another precision adds its files). */
export async function noteDownload(recordsDir: string, record: DownloadRecord): Promise<void> {
  const file = recordFile(recordsDir, record.cacheDir, record.repo, record.commit);
  const earlier = await readDownloadRecord(recordsDir, record.cacheDir, record.repo, record.commit);
  const merged: DownloadRecord = earlier
    ? {
        ...record,
        files: [...earlier.files.filter((f) => !record.files.some((g) => g.path === f.path)), ...record.files],
        fetched: [...new Set([...earlier.fetched, ...record.fetched])],
      }
    : record;
  await mkdir(recordsDir, { recursive: true });
  const temporary = `${file}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temporary, JSON.stringify(merged, null, 2) + '\n');
  await rename(temporary, file);
}

/** Forgets the record of one snapshot. */
export async function forgetDownload(recordsDir: string, cacheDir: string, repo: string, commit: string): Promise<void> {
  await rm(recordFile(recordsDir, cacheDir, repo, commit), { force: true });
}
