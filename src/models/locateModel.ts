// From a model reference to a folder on disk, downloading from the Hub when the reference needs it.
// Kept apart from modelReference so that reading a setting does not load the Hub client: the
// extension imports this module only when an inspection needs a model.
import { ensureHubModel, type EnsureOptions } from './download';
import { usableSnapshot } from './hubCache';
import { defaultHubCacheDir } from './hubEnvironment';
import { downloadRecordsFolder, hasBundledModel, hubIdToFetch, type ModelReference } from './modelReference';

export interface LocateOptions extends Omit<EnsureOptions, 'cacheDir' | 'recordsDir'> {
  /** Attention Lens's own storage: the records of its downloads and graphs built from checkpoints. */
  cacheRoot: string;
  /** The Hugging Face cache downloads go to; defaults to `$HF_HUB_CACHE`, `$HF_HOME/hub`, … */
  hubCacheDir?: string;
  /** The bundled default's folder, used when it has been prepared. */
  bundledDir?: string;
}

/** The folder (or .onnx file) to load for `reference`, downloading a Hub model first if needed. */
export async function locateModel(reference: ModelReference, options: LocateOptions): Promise<string> {
  if (reference.kind === 'folder') return reference.path;
  if (reference.kind === 'default' && hasBundledModel(options.bundledDir)) return options.bundledDir!;
  const id = hubIdToFetch(reference, options.bundledDir)!;
  const { cacheRoot, hubCacheDir, bundledDir: _bundled, ...rest } = options;
  return ensureHubModel(id, { ...rest, cacheDir: hubCacheDir ?? defaultHubCacheDir(), recordsDir: downloadRecordsFolder(cacheRoot) });
}

/** The folder of `reference` when nothing needs downloading (a folder, or a loadable snapshot in the cache). */
export async function readyFolder(reference: ModelReference, options: LocateOptions): Promise<string | undefined> {
  const id = hubIdToFetch(reference, options.bundledDir);
  if (!id) return locateModel(reference, options);
  return (await usableSnapshot(options.hubCacheDir ?? defaultHubCacheDir(), id, options.precision))?.folder;
}
