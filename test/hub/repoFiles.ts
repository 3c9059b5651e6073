// A folder on disk seen as a Hub repo: every file with its size, its git blob id, and for the
// files the Hub keeps in LFS, its sha256. The emulator announces these exactly as the Hub does.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';

/** One file of an emulated repo. */
export interface EmulatedFile {
  path: string;
  absolute: string;
  size: number;
  gitOid: string;
  /** sha256 of the content, for LFS files. */
  sha256?: string;
}

/** An emulated repo: its files and a commit id that changes whenever a file does. */
export interface EmulatedRepo {
  files: Map<string, EmulatedFile>;
  commit: string;
}

// The Hub's default .gitattributes sends these to LFS, and any file over 10 MB goes there too.
const LFS_EXTENSIONS = ['.onnx', '.onnx_data', '.safetensors', '.bin', '.h5', '.msgpack', '.model', '.pt', '.pth', '.ckpt', '.gguf'];
const LFS_SIZE = 10 * 1024 * 1024;

function isLfs(relative: string, size: number): boolean {
  return size > LFS_SIZE || LFS_EXTENSIONS.some((ext) => relative.endsWith(ext)) || /\.onnx\.data$|_data_\d+$/.test(relative);
}

function walk(root: string, relative = ''): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(path.join(root, relative), { withFileTypes: true })) {
    const child = relative ? `${relative}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...walk(root, child));
    else if (entry.isFile()) out.push(child);
  }
  return out;
}

/** Reads `dir` as a repo, hashing every file (fixtures are a few MB, so at start-up is fine). */
export function scanRepo(dir: string): EmulatedRepo {
  const files = new Map<string, EmulatedFile>();
  for (const relative of walk(dir).sort()) {
    const absolute = path.join(dir, relative);
    const content = readFileSync(absolute);
    const size = statSync(absolute).size;
    const gitOid = createHash('sha1').update(`blob ${size}\0`).update(content).digest('hex');
    const sha256 = isLfs(relative, size) ? createHash('sha256').update(content).digest('hex') : undefined;
    files.set(relative, { path: relative, absolute, size, gitOid, sha256 });
  }
  const commit = createHash('sha1')
    .update([...files.values()].map((f) => `${f.path} ${f.gitOid} ${f.sha256 ?? ''}`).join('\n'))
    .digest('hex');
  return { files, commit };
}

/** The folders that contain files of the repo (for tree listings, which list directories too). */
export function directoriesOf(repo: EmulatedRepo): string[] {
  const dirs = new Set<string>();
  for (const file of repo.files.keys()) {
    const parts = file.split('/');
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  return [...dirs].sort();
}
