// The registry of export styles: each builds a Hugging Face-layout folder from a fixture's own weights,
// so that fixture's golden.json still describes it. One file per family of styles.
import { BERT_STYLES } from './bertFused';
import { GENAI_STYLES } from './genai';
import { TORCH_STYLES } from './torchAttention';

export interface ExportStyle {
  name: string;
  /** The fixture whose weights (and golden.json) the style uses. */
  fixture: string;
  description: string;
  build(outDir: string): Promise<void>;
}

export const EXPORT_STYLES: ExportStyle[] = [...GENAI_STYLES, ...BERT_STYLES, ...TORCH_STYLES];
