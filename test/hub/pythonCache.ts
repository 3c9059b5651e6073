// A Hugging Face cache written the way huggingface_hub (Python) writes one, so that tests can check
// that Attention Lens finds and respects what Python downloaded, and reads its own downloads by the
// same rules. The layout, as the huggingface_hub documentation describes it:
//   models--<owner>--<name>/blobs/<etag>           sha256 of LFS files, git blob sha1 of the rest
//   models--<owner>--<name>/refs/<revision>        the commit hash, no newline
//   models--<owner>--<name>/snapshots/<commit>/…   relative symlinks to ../../blobs/<etag>
import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

// Which files the Hub keeps in LFS, as in test/hub/repoFiles.ts (weights and graphs).
const LFS = /\.(onnx|onnx_data|safetensors|bin|model)$|\.onnx\.data$|_data_\d+$/;

/** The etag huggingface_hub names a file's blob by: sha256 for LFS files, else the git blob id. */
export function pythonEtag(repoPath: string, content: Buffer): string {
  return LFS.test(repoPath)
    ? createHash('sha256').update(content).digest('hex')
    : createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
}

/** The folder huggingface_hub keeps a model repo in. */
export function pythonRepoFolder(cacheDir: string, repo: string): string {
  return path.join(cacheDir, `models--${repo.replace('/', '--')}`);
}

/**
 * Writes `files` of `sourceDir` as a download of `repo` at `commit` (random when not given), with
 * refs/<revision> pointing at it. Returns the snapshot folder and the commit.
 */
export function writePythonCache(
  cacheDir: string, repo: string, sourceDir: string, files: string[], options: { commit?: string; revision?: string } = {},
): { folder: string; commit: string } {
  const commit = options.commit ?? randomBytes(20).toString('hex');
  const repoDir = pythonRepoFolder(cacheDir, repo);
  const snapshot = path.join(repoDir, 'snapshots', commit);
  for (const file of files) {
    const content = readFileSync(path.join(sourceDir, file));
    const blob = path.join(repoDir, 'blobs', pythonEtag(file, content));
    mkdirSync(path.dirname(blob), { recursive: true });
    if (!existsSync(blob)) copyFileSync(path.join(sourceDir, file), blob);
    const link = path.join(snapshot, ...file.split('/'));
    mkdirSync(path.dirname(link), { recursive: true });
    // `../../blobs/<etag>` from the snapshot's top level, one more `../` per folder of the path.
    symlinkSync(`${'../'.repeat(file.split('/').length + 1)}blobs/${path.basename(blob)}`, link);
  }
  mkdirSync(path.join(repoDir, 'refs'), { recursive: true });
  writeFileSync(path.join(repoDir, 'refs', options.revision ?? 'main'), commit);
  return { folder: snapshot, commit };
}

/**
 * Reads `file` of `repo@revision` from a cache by huggingface_hub's rules alone: refs/<revision>
 * gives the commit, the snapshot entry must be a relative link into blobs/, and the blob's name
 * must be the etag of its content. Throws when any rule is broken.
 */
export function readAsPython(cacheDir: string, repo: string, revision: string, file: string): Buffer {
  const repoDir = pythonRepoFolder(cacheDir, repo);
  const commit = readFileSync(path.join(repoDir, 'refs', revision), 'utf8');
  if (!/^[0-9a-f]{40}$/.test(commit)) throw new Error(`refs/${revision} holds "${commit}", not a commit hash`);
  const link = path.join(repoDir, 'snapshots', commit, ...file.split('/'));
  const target = readlinkSync(link);
  if (path.isAbsolute(target)) throw new Error(`${file} links to an absolute path ${target}`);
  const blob = path.resolve(path.dirname(link), target);
  if (path.dirname(blob) !== path.join(repoDir, 'blobs')) throw new Error(`${file} links outside blobs/: ${target}`);
  const content = readFileSync(blob);
  const etag = pythonEtag(file, content);
  if (path.basename(blob) !== etag) throw new Error(`${file}'s blob is named ${path.basename(blob)}, its etag is ${etag}`);
  return content;
}
