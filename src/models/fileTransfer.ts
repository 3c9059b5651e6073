// Fetches one file of a model and proves it is the file the Hub announced: the byte count, and the
// content hash (sha256 for LFS files, the git blob id for the rest). A file that fails either check
// throws, and the caller throws away the whole unfinished folder.
import { downloadFile, fileDownloadInfo } from '@huggingface/hub';
import { createHash } from 'node:crypto';
import { mkdir, open } from 'node:fs/promises';
import * as path from 'node:path';
import { ModelSourceError } from './errors';
import type { RepoFile } from './fileSelection';
import type { HubConnection } from './hubConnection';

/** The repo and the exact commit the files are read from. */
export interface TransferSource {
  repo: string;
  commit: string;
  connection: HubConnection;
}

const SHA256 = /^[0-9a-f]{64}$/;
const SHA1 = /^[0-9a-f]{40}$/;

/** The sha256 the Hub vouches for: the LFS oid of the listing, else an ETag shaped like one. */
export function announcedSha256(file: RepoFile, etag: string | undefined): string | undefined {
  if (file.lfsSha256) return file.lfsSha256.toLowerCase();
  // fileDownloadInfo returns X-Linked-ETag when the Hub answers itself, but the ETag of a CDN when
  // the resolve URL redirected there, which is why the listing's oid comes first.
  const tag = etag?.replace(/^W\//, '').replace(/"/g, '').toLowerCase();
  return tag !== undefined && SHA256.test(tag) ? tag : undefined;
}

/** Downloads `file` from `source` to `dest`, reporting each chunk's size through `onBytes`. */
export async function fetchVerifiedFile(
  source: TransferSource,
  file: RepoFile,
  dest: string,
  onBytes: (bytes: number) => void,
): Promise<void> {
  const { connection } = source;
  const where = {
    repo: source.repo,
    path: file.path,
    revision: source.commit,
    hubUrl: connection.endpoint,
    accessToken: connection.accessToken,
    fetch: connection.fetch,
  };
  const info = await fileDownloadInfo(where);
  if (!info) throw new ModelSourceError('not-found', `${file.path} vanished from ${source.repo} while downloading.`);
  const expectedSha256 = announcedSha256(file, info.etag);
  // Plain HTTP rather than the Xet protocol: one streamed GET that follows the Hub's redirect, with
  // no chunk reassembly in memory, and the same path the local emulator exercises in the tests.
  const blob = await downloadFile({ ...where, downloadInfo: info, xet: false });
  if (!blob) throw new ModelSourceError('not-found', `${file.path} vanished from ${source.repo} while downloading.`);

  const sha256 = createHash('sha256');
  const gitBlob = createHash('sha1').update(`blob ${file.size}\0`);
  let received = 0;
  await mkdir(path.dirname(dest), { recursive: true });
  const handle = await open(dest, 'wx');
  const reader = blob.stream().getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      connection.signal?.throwIfAborted();
      received += value.byteLength;
      if (received > file.size) break;
      sha256.update(value);
      gitBlob.update(value);
      await handle.write(value);
      onBytes(value.byteLength);
    }
    // Flushed before the folder is renamed into place, so a crash cannot leave a complete-looking
    // folder with truncated files.
    await handle.sync();
  } finally {
    await reader.cancel().catch(() => undefined);
    await handle.close();
  }
  connection.signal?.throwIfAborted();
  if (received > file.size) {
    throw new ModelSourceError('sha-mismatch', `${file.path} is larger than the ${file.size} bytes the Hub announced; nothing was kept.`);
  }
  if (received < file.size) {
    throw new ModelSourceError(
      'interrupted',
      `The download of ${file.path} stopped after ${received} of ${file.size} bytes; nothing was kept. Try again.`,
    );
  }
  if (expectedSha256 !== undefined) {
    const actual = sha256.digest('hex');
    if (actual !== expectedSha256) {
      throw new ModelSourceError(
        'sha-mismatch',
        `${file.path} does not match the sha256 the Hub announced; nothing was kept.`,
        `expected sha256 ${expectedSha256}, received ${actual}`,
      );
    }
  } else if (file.gitOid !== undefined && SHA1.test(file.gitOid)) {
    const actual = gitBlob.digest('hex');
    if (actual !== file.gitOid) {
      throw new ModelSourceError(
        'sha-mismatch',
        `${file.path} does not match the checksum the Hub announced; nothing was kept.`,
        `expected git blob ${file.gitOid}, received ${actual}`,
      );
    }
  }
}
