// The models Attention Lens knows by name: the bundled default and suggestions per family, read
// from models/catalog.json so the README, the build step and the extension agree on one list.
import catalogJson from '../../models/catalog.json';
import { parseHubId, type HubId } from './hubId';

/** One catalogue entry; sizes are approximate. */
export interface CatalogEntry {
  key: string;
  hubId: string;
  revision: string;
  family: string;
  architecture: string;
  layers: number;
  heads: number;
  kvHeads?: number;
  hiddenSize: number;
  parameters?: string;
  licence: string;
  approxDownloadMB: number;
  /** Which weights a download fetches at the default precision, e.g. `model.safetensors (bf16)`. */
  variant: string;
  files?: string[];
  bundled?: boolean;
  notes?: string;
}

interface Catalog {
  format: string;
  default: string;
  models: CatalogEntry[];
}

const catalog = catalogJson as Catalog;

/** Every catalogue entry, default first. */
export function catalogEntries(): CatalogEntry[] {
  return [...catalog.models].sort((a, b) => Number(b.key === catalog.default) - Number(a.key === catalog.default));
}

/** The bundled default model's entry. */
export function defaultCatalogEntry(): CatalogEntry {
  const entry = catalog.models.find((m) => m.key === catalog.default);
  if (!entry) throw new Error(`models/catalog.json names default "${catalog.default}" but has no such entry`);
  return entry;
}

/** The Hub id (with revision) of a catalogue entry. */
export function catalogHubId(entry: CatalogEntry): HubId {
  return parseHubId(`${entry.hubId}@${entry.revision}`);
}
