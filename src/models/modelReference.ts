// What a model setting (or the CLI's --model) names. One rule for the editor and the command line,
// so the same text loads the same model in both (locateModel.ts turns it into a folder):
//   1. empty                                  → the bundled default model (callers first fall back
//                                               to ATTENTION_LENS_MODEL);
//   2. written like a path (absolute, `~`, `.`/`..`, a backslash, a drive letter, `${workspaceFolder}`)
//                                             → that folder (or .onnx file);
//   3. an existing file or folder, relative to the base folder → that folder;
//   4. `owner/name` or `owner/name@revision`  → a Hugging Face model, downloaded on first use;
//   5. anything else                          → a folder, so the engine can say that it does not exist.
// Rule 3 comes before rule 4 because `models/tiny` is both a relative path and a well-formed id: a
// folder that is really there is what the person meant.
import { existsSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { catalogHubId, defaultCatalogEntry } from './catalog';
import { formatHubId, parseHubId, type HubId } from './hubId';

/** A model as a setting names it. */
export type ModelReference =
  | { kind: 'default' }
  | { kind: 'folder'; path: string }
  | { kind: 'hub'; id: HubId };

export interface ReferenceContext {
  /** Folder that relative paths start from (the first workspace folder, or the current directory). */
  baseDir?: string;
  /** Replaces `${workspaceFolder}`; defaults to baseDir. */
  workspaceFolder?: string;
  homeDir?: string;
}

const LOOKS_LIKE_PATH = /^(?:~(?:$|[\\/])|\.{1,2}(?:$|[\\/])|[A-Za-z]:[\\/]|\$\{workspaceFolder\})|\\/;

/** Reads a setting value (or --model) as a folder, a Hub id, or the bundled default. */
export function parseModelReference(value: string, context: ReferenceContext = {}): ModelReference {
  const text = value.trim();
  if (text === '') return { kind: 'default' };
  const baseDir = context.baseDir ?? process.cwd();
  const workspaceFolder = context.workspaceFolder ?? baseDir;
  const expanded = text
    .replace(/^~(?=$|[\\/])/, context.homeDir ?? os.homedir())
    .replace(/\$\{workspaceFolder\}/g, workspaceFolder);
  const folder = path.resolve(baseDir, expanded);
  if (LOOKS_LIKE_PATH.test(text) || path.isAbsolute(text) || existsSync(folder)) return { kind: 'folder', path: folder };
  try {
    return { kind: 'hub', id: parseHubId(text) };
  } catch {
    return { kind: 'folder', path: folder };
  }
}

/** The same reference written back as a setting value: '' for the default, `owner/name@rev` or a path. */
export function formatModelReference(reference: ModelReference): string {
  if (reference.kind === 'default') return '';
  if (reference.kind === 'folder') return reference.path;
  return reference.id.revisionGiven ? formatHubId(reference.id) : reference.id.repo;
}

/** A short name for messages and titles: the Hub id, or the folder's name. */
export function modelLabel(reference: ModelReference): string {
  if (reference.kind === 'default') return defaultCatalogEntry().hubId;
  if (reference.kind === 'hub') return formatModelReference(reference);
  return path.basename(reference.path) || reference.path;
}

/** The Hub id a reference downloads, if it downloads anything once `bundledDir` is considered. */
export function hubIdToFetch(reference: ModelReference, bundledDir?: string): HubId | undefined {
  if (reference.kind === 'hub') return reference.id;
  if (reference.kind === 'default' && !hasBundledModel(bundledDir)) return catalogHubId(defaultCatalogEntry());
  return undefined;
}

/** Where `npm run models` puts the bundled default, inside an extension or package root. */
export function bundledModelFolder(root: string): string {
  return path.join(root, 'models', defaultCatalogEntry().key);
}

/** Whether `folder` holds a prepared model (the download is renamed into place only when complete). */
export function hasBundledModel(folder: string | undefined): boolean {
  return folder !== undefined && existsSync(path.join(folder, 'config.json'));
}

/**
 * Where Attention Lens notes which snapshots of the Hugging Face cache it downloaded:
 * `<cacheRoot>/hub-downloads` (graphs built from checkpoints go to `<cacheRoot>/graphs`).
 */
export function downloadRecordsFolder(cacheRoot: string): string {
  return path.join(cacheRoot, 'hub-downloads');
}
