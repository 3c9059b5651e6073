// From a model reference to a folder on disk, downloading from the Hub when the reference needs it.
// Kept apart from modelReference so that reading a setting does not load the Hub client: the
// extension imports this module only when an inspection needs a model.
import { cachedModelFolder, ensureHubModel, type EnsureOptions } from './download';
import { downloadsFolder, hasBundledModel, hubIdToFetch, type ModelReference } from './modelReference';
import { readCompleteSnapshot } from './snapshot';

export interface LocateOptions extends Omit<EnsureOptions, 'cacheDir'> {
  /** Root of the cache: downloads and built graphs live in sub-folders. */
  cacheRoot: string;
  /** The bundled default's folder, used when it has been prepared. */
  bundledDir?: string;
}

/** The folder (or .onnx file) to load for `reference`, downloading a Hub model first if needed. */
export async function locateModel(reference: ModelReference, options: LocateOptions): Promise<string> {
  if (reference.kind === 'folder') return reference.path;
  if (reference.kind === 'default' && hasBundledModel(options.bundledDir)) return options.bundledDir!;
  const id = hubIdToFetch(reference, options.bundledDir)!;
  const { cacheRoot, bundledDir: _bundled, ...rest } = options;
  return ensureHubModel(id, { ...rest, cacheDir: downloadsFolder(cacheRoot) });
}

/** The cached folder of `reference` when its download is complete (or nothing needs downloading). */
export async function readyFolder(reference: ModelReference, options: LocateOptions): Promise<string | undefined> {
  const id = hubIdToFetch(reference, options.bundledDir);
  if (!id) return locateModel(reference, options);
  const folder = cachedModelFolder(id, downloadsFolder(options.cacheRoot));
  return (await readCompleteSnapshot(folder, id)) ? folder : undefined;
}
