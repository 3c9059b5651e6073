// The `attention-lens/v1` document a notebook output carries (MIME type
// application/vnd.attention-lens.v1+json): the CLI's report, with attention either as the report's
// nested arrays or in the compact encoding of the `--html` page (one base64 block per layer, float32,
// float16 or uint8, only the lower triangle for a causal model), which keeps a 12 × 12 × 512 output
// at tens of megabytes instead of hundreds. Checked here, so a malformed output gets a message, not a
// blank cell.
import { decodeFloat16, dequantizeProbabilities } from '../../src/attention/quantize';
import { unpackLowerTriangle } from '../../src/report/causalTriangle';
import type { HtmlPrecision } from '../../src/report/htmlFormat';
import type { ModelInfo, Token } from '../../src/protocol';

export const NOTEBOOK_MIME = 'application/vnd.attention-lens.v1+json';

/** Attention in the `--html` page's encoding, with the layers' base64 inline. */
export interface CompactAttention {
  encoding: 'base64';
  precision: HtmlPrecision;
  /** `full`: [heads][T][T] per layer; `causal`: per head, row q holds keys 0..q only. */
  layout: 'full' | 'causal';
  maxError?: number;
  /** One base64 block per layer. */
  layers: string[];
}

export interface NotebookDocument {
  format: 'attention-lens/v1';
  model: ModelInfo & { provider?: string; precision?: string };
  text: string;
  tokens: Token[];
  attention: number[][][][] | CompactAttention;
  warnings?: string[];
}

/** A document whose shape is known good; `layer(l)` decodes one layer to Float32 [heads][T][T]. */
export interface CheckedDocument {
  doc: NotebookDocument;
  layerCount: number;
  layer(l: number): Float32Array;
  /** How the attention is stored, for the caption: 'float32' for nested arrays. */
  precision: HtmlPrecision | 'json';
}

/** Validates `value` as a notebook document; throws an Error saying what is wrong. */
export function checkDocument(value: unknown): CheckedDocument {
  const doc = value as NotebookDocument;
  if (typeof doc !== 'object' || doc === null) throw new Error('the output is not a JSON object');
  if (doc.format !== 'attention-lens/v1') throw new Error(`format is ${JSON.stringify(doc.format)}, expected "attention-lens/v1"`);
  const model = doc.model;
  if (!model || !Number.isInteger(model.layers) || !Number.isInteger(model.heads) || model.heads < 1) {
    throw new Error('model must give whole numbers of layers and heads');
  }
  if (!Array.isArray(doc.tokens) || doc.tokens.length === 0) throw new Error('tokens must be a non-empty list');
  const T = doc.tokens.length;
  const heads = model.heads;
  const attention = doc.attention;
  if (Array.isArray(attention)) {
    if (attention.length !== model.layers) throw new Error(`attention has ${attention.length} layers, the model ${model.layers}`);
    return { doc, layerCount: attention.length, precision: 'json', layer: (l) => nestedLayer(attention[l], l, heads, T) };
  }
  if (!attention || attention.encoding !== 'base64' || !Array.isArray(attention.layers)) {
    throw new Error('attention must be [layer][head][query][key] numbers or a base64 encoding');
  }
  if (!['float32', 'float16', 'uint8'].includes(attention.precision)) throw new Error(`unknown precision ${JSON.stringify(attention.precision)}`);
  if (attention.layout !== 'full' && attention.layout !== 'causal') throw new Error(`unknown layout ${JSON.stringify(attention.layout)}`);
  if (attention.layers.length !== model.layers) throw new Error(`attention has ${attention.layers.length} layers, the model ${model.layers}`);
  const perHead = attention.layout === 'causal' ? (T * (T + 1)) / 2 : T * T;
  return {
    doc,
    layerCount: attention.layers.length,
    precision: attention.precision,
    layer(l) {
      const values = decodeValues(attention.layers[l], attention.precision);
      if (values.length !== heads * perHead) {
        throw new Error(`layer ${l} holds ${values.length} values, expected ${heads} heads × ${perHead} (${attention.layout}, ${T} tokens)`);
      }
      return attention.layout === 'causal' ? unpackLowerTriangle(values, T) : values;
    },
  };
}

function nestedLayer(layer: number[][][], l: number, heads: number, T: number): Float32Array {
  if (!Array.isArray(layer) || layer.length !== heads) throw new Error(`layer ${l} must hold ${heads} heads`);
  const out = new Float32Array(heads * T * T);
  layer.forEach((head, h) => {
    if (!Array.isArray(head) || head.length !== T) throw new Error(`layer ${l}, head ${h} must hold ${T} rows`);
    head.forEach((row, q) => {
      if (!Array.isArray(row) || row.length !== T) throw new Error(`layer ${l}, head ${h}, row ${q} must hold ${T} values`);
      out.set(row, (h * T + q) * T);
    });
  });
  return out;
}

function decodeValues(base64: string, precision: HtmlPrecision): Float32Array {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  // A fresh Uint8Array starts at offset 0 of its own buffer, so wider views of it are aligned.
  if (precision === 'float32') return new Float32Array(bytes.buffer, 0, bytes.byteLength >> 2);
  if (precision === 'float16') return decodeFloat16(new Uint16Array(bytes.buffer, 0, bytes.byteLength >> 1));
  return dequantizeProbabilities(bytes);
}
