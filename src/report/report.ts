import type { GeneratedToken, ModelInfo, Timings, Token } from '../protocol';

/** The `attention-lens/v1` document the CLI writes and the webview reads. */
export interface Report {
  format: 'attention-lens/v1';
  model: ModelInfo & { provider?: string };
  text: string;
  tokens: Token[];
  /** [layer][head][query][key] softmax probabilities. */
  attention: number[][][][];
  /** When the model wrote the end of `tokens`: those tokens, in order, with their candidates. */
  generated?: GeneratedToken[];
  warnings?: string[];
  timings?: Timings;
}

/** What a report is made from: the inspection's facts and its per-layer attention. */
export interface ReportInput {
  model: ModelInfo & { provider?: string };
  text: string;
  tokens: Token[];
  /** Per layer, Float32 [heads][T][T]. */
  layers: readonly Float32Array[];
  generated?: GeneratedToken[];
  warnings?: string[];
  timings?: Timings;
}

/**
 * A report's input with its attention read one layer at a time, as the streaming writers read it:
 * the engine's attention store decodes or recomputes each layer when its turn comes.
 */
export interface LayeredReportInput extends Omit<ReportInput, 'layers'> {
  layerCount: number;
  heads: number;
  /** Layer `l` as Float32 [heads][T][T]. */
  layer(l: number): Promise<Float32Array> | Float32Array;
}

/** The layered form of an input that holds its layers. */
export function layered(input: ReportInput | LayeredReportInput): LayeredReportInput {
  if (!('layers' in input)) return input;
  const T = input.tokens.length;
  const { layers, ...facts } = input;
  const heads = T === 0 || layers.length === 0 ? input.model.heads : layers[0].length / (T * T);
  return { ...facts, layerCount: layers.length, heads, layer: (l) => layers[l] };
}

/** The optional parts of a report. */
export type ReportExtras = Pick<Report, 'generated' | 'warnings' | 'timings'>;

/** The optional parts of a report that an input has, in the order the report lists them. */
export function reportExtras(input: ReportExtras): ReportExtras {
  const out: ReportExtras = {};
  if (input.generated !== undefined) out.generated = input.generated;
  if (input.warnings !== undefined) out.warnings = input.warnings;
  if (input.timings !== undefined) out.timings = input.timings;
  return out;
}

/** Builds the report from per-layer Float32 [heads][T][T] buffers. */
export function buildReport(
  model: ModelInfo & { provider?: string },
  text: string,
  tokens: Token[],
  layers: Float32Array[],
  extra: ReportExtras = {},
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
