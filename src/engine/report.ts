import type { ModelInfo, Timings, Token } from '../protocol';

/** The `attention-lens/v1` document the CLI writes and the webview reads. */
export interface Report {
  format: 'attention-lens/v1';
  model: ModelInfo & { provider?: string };
  text: string;
  tokens: Token[];
  /** [layer][head][query][key] softmax probabilities. */
  attention: number[][][][];
  warnings?: string[];
  timings?: Timings;
}

/** Builds the report from per-layer Float32 [heads][T][T] buffers. */
export function buildReport(
  model: ModelInfo & { provider?: string },
  text: string,
  tokens: Token[],
  layers: Float32Array[],
  extra: { warnings?: string[]; timings?: Timings } = {},
): Report {
  const T = tokens.length;
  const attention = layers.map((data) => {
    const heads = data.length / (T * T);
    const perHead: number[][][] = [];
    for (let h = 0; h < heads; h++) {
      const rows: number[][] = [];
      for (let q = 0; q < T; q++) {
        const offset = (h * T + q) * T;
        rows.push(Array.from(data.subarray(offset, offset + T)));
      }
      perHead.push(rows);
    }
    return perHead;
  });
  return { format: 'attention-lens/v1', model, text, tokens, attention, ...extra };
}

/** Reads a report's nested arrays back into per-layer Float32 [heads][T][T] buffers. */
export function reportLayers(report: Report): Float32Array[] {
  const T = report.tokens.length;
  return report.attention.map((layer) => {
    const out = new Float32Array(layer.length * T * T);
    layer.forEach((head, h) => head.forEach((row, q) => out.set(row, (h * T + q) * T)));
    return out;
  });
}
