// The corpus of export styles: each builds a model folder in the layout some exporter produces, from a
// fixture's own weights, so that fixture's golden.json still describes it. One file per family of
// styles; `scripts/export-styles.ts` writes them into .cache/export-styles/<name>/, and the tests
// build the ones they check.
import { BERT_STYLES } from './bertFused';
import { GENAI_STYLES } from './genai';
import { precisionStyles } from './precision';
import { TORCH_STYLES } from './torchAttention';

export interface ExportStyle {
  name: string;
  /** The fixture in ../shared/models whose weights (and golden.json) the style uses. */
  fixture: string;
  description: string;
  /** The graph inside the folder, as a user would point at it. */
  graph: string;
  /** Writes the model folder into outDir (replacing what is there). */
  build(outDir: string): void | Promise<void>;
}

export const EXPORT_STYLES: ExportStyle[] = [...precisionStyles, ...GENAI_STYLES, ...BERT_STYLES, ...TORCH_STYLES];
