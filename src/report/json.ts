// The `attention-lens/v1` report as JSON, for the CLI's `--out report.json` and the panel's "Export
// Report as JSON". A large report (12 layers × 12 heads × 512² weights is most of a gigabyte of text)
// is made a few megabytes at a time, giving the event loop back between pieces, so the extension host
// stays responsive and no single string grows past what V8 allows (about 512 M characters). Small
// ones are stringified at once; both give the same bytes.
import { buildReport, layered, reportExtras, type LayeredReportInput, type ReportInput } from './report';
import { writePieces } from './reportFile';

/** Above this estimated size the report is written in pieces rather than with one JSON.stringify. */
export const STRINGIFY_LIMIT_BYTES = 50 * 1024 * 1024;
const PIECE_CHARS = 4 * 1024 * 1024;

/** A rough size of the report's JSON: about 12 characters per weight, plus the tokens and text. */
export function estimateReportBytes(input: ReportInput | LayeredReportInput): number {
  const T = input.tokens.length;
  const weights = 'layers' in input
    ? input.layers.reduce((sum, layer) => sum + layer.length, 0)
    : input.layerCount * input.heads * T * T;
  return weights * 12 + input.text.length * 2 + input.tokens.length * 64 + 1024;
}

export interface ReportJsonOptions {
  /** Estimated size above which the report is written in pieces (default 50 MB). */
  limitBytes?: number;
  /** Called after each piece with the fraction done, 0..1. */
  progress?: (fraction: number) => void;
  /** Checked between pieces; a true value stops the work with an Error('cancelled'). */
  cancelled?: () => boolean;
}

/** The report's JSON as UTF-8 bytes, identical to JSON.stringify(buildReport(…)). */
export async function reportJson(input: ReportInput, options: ReportJsonOptions = {}): Promise<Uint8Array> {
  const encoder = new TextEncoder();
  if (estimateReportBytes(input) <= (options.limitBytes ?? STRINGIFY_LIMIT_BYTES)) {
    const report = buildReport(input.model, input.text, input.tokens, [...input.layers], reportExtras(input));
    return encoder.encode(JSON.stringify(report));
  }
  const parts: Uint8Array[] = [];
  let total = 0;
  for await (const piece of reportJsonPieces(input, options)) {
    const bytes = encoder.encode(piece);
    parts.push(bytes);
    total += bytes.length;
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Writes the report's JSON to `file` piece by piece: memory holds the attention and one piece, never the document. */
export function writeReportJson(file: string, input: ReportInput | LayeredReportInput, options: ReportJsonOptions = {}): Promise<number> {
  return writePieces(file, reportJsonPieces(input, options));
}

/** The report's JSON in pieces of a few megabytes; yields to the event loop between pieces. */
export async function* reportJsonPieces(whole: ReportInput | LayeredReportInput, options: ReportJsonOptions = {}): AsyncGenerator<string> {
  const input = layered(whole);
  const T = input.tokens.length;
  // The same keys, in the same order, as buildReport: format, model, text, tokens, attention, then extras.
  const head = JSON.stringify(buildReport(input.model, input.text, input.tokens, []) as object, (key, value: unknown) =>
    key === 'attention' ? undefined : value);
  let piece = head.slice(0, -1) + ',"attention":[';
  const heads = T === 0 ? 0 : input.heads;
  const rows = input.layerCount * heads * T;
  let done = 0;
  for (let l = 0; l < input.layerCount; l++) {
    const data = await input.layer(l);
    piece += (l ? ',' : '') + '[';
    for (let h = 0; h < heads; h++) {
      piece += (h ? ',' : '') + '[';
      for (let q = 0; q < T; q++) {
        const offset = (h * T + q) * T;
        let row = q ? ',[' : '[';
        for (let k = 0; k < T; k++) row += (k ? ',' : '') + number(data[offset + k]);
        piece += row + ']';
        done++;
        if (piece.length >= PIECE_CHARS) {
          yield piece;
          piece = '';
          options.progress?.(done / rows);
          await new Promise<void>((resolve) => setImmediate(resolve));
          if (options.cancelled?.()) throw new Error('cancelled');
        }
      }
      piece += ']';
    }
    piece += ']';
  }
  piece += ']';
  const rest = JSON.stringify(reportExtras(input));
  piece += rest === '{}' ? '}' : ',' + rest.slice(1);
  options.progress?.(1);
  yield piece;
}

// As JSON.stringify writes a number: non-finite values become null.
function number(x: number): string {
  return Number.isFinite(x) ? String(x) : 'null';
}
