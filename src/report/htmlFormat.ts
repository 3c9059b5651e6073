// What an `--html` page embeds, shared by the CLI that writes it and the page script that reads it
// (webview/standalone.ts); no Node imports, so the browser bundle can use it.
import { UINT8_MAX_ERROR } from '../attention/quantize';
import type { ModelInfo, Token } from '../protocol';

/** How the attention values are stored in the page. */
export type HtmlPrecision = 'float32' | 'float16' | 'uint8';

export const HTML_PRECISIONS: readonly HtmlPrecision[] = ['float32', 'float16', 'uint8'];

/**
 * Largest |stored − original| for a probability in [0, 1]: float16 keeps 11 significant bits, so
 * below 1 its half step is at most 2^-12; uint8 steps are 1/255.
 */
export const HTML_MAX_ERROR: Record<HtmlPrecision, number> = { float32: 0, float16: 2 ** -12, uint8: UINT8_MAX_ERROR };

/** The report as the page embeds it (JSON); the attention itself sits beside it as base64 blocks. */
export interface EmbeddedReport {
  format: 'attention-lens/v1';
  model: ModelInfo & { provider?: string };
  text: string;
  tokens: Token[];
  warnings: string[];
  attention: {
    precision: HtmlPrecision;
    /** `full`: [heads][T][T]; `causal`: per head, row q holds keys 0..q only (the rest are 0). */
    layout: 'full' | 'causal';
    maxError: number;
  };
}

/** Element ids and types the page and `webview/standalone.ts` agree on. */
export const EMBED = { report: 'attention-lens-report', layerClass: 'attention-lens-layer', root: 'app' } as const;
