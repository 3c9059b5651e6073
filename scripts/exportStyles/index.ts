// The corpus of export styles: each builds a model folder in the layout some exporter produces,
// from a fixture's own weights (so the fixture's golden.json applies). `scripts/export-styles.ts`
// writes them into .cache/export-styles/<name>/; the tests build the ones they check.
import { precisionStyles } from './precision';

export interface ExportStyle {
  name: string;
  /** The fixture in ../shared/models whose weights (and golden.json) the style uses. */
  fixture: string;
  /** The graph inside the folder, as a user would point at it. */
  graph: string;
  /** Writes the model folder into outDir (replacing what is there). */
  build(outDir: string): void | Promise<void>;
}

export const exportStyles: ExportStyle[] = [
  ...precisionStyles,
];
