// Attention with known answers, for the webview tests and the bench: patterns a reader can check by
// eye (head 0 looks at the previous token, head 1 at the first, …) and seeded random softmax rows.
import type { ModelInfo, Token } from '../../src/protocol';

export interface SyntheticSpec {
  layers: number;
  heads: number;
  tokens: number;
  causal: boolean;
  /** 'pattern' has the known shapes below; 'random' is softmax of seeded random scores. */
  kind: 'pattern' | 'random';
  id?: string;
}

const WORDS = 'the quick brown fox jumps over a lazy dog while el zorro marrón salta sobre un perro'.split(' ');

/** The model description for a spec. */
export function syntheticModel(spec: SyntheticSpec): ModelInfo {
  return { id: spec.id ?? `synthetic-${spec.layers}x${spec.heads}`, layers: spec.layers, heads: spec.heads, causal: spec.causal, precision: 'fp32' };
}

/** Tokens of a made-up sentence: a special token first, and for bidirectional models one last. */
export function syntheticText(spec: SyntheticSpec): { text: string; tokens: Token[] } {
  const tokens: Token[] = [];
  const words: string[] = [];
  let offset = 0;
  const first = spec.causal ? '<s>' : '[CLS]';
  tokens.push({ id: 1, text: first, start: 0, end: 0, special: true });
  const ordinary = spec.tokens - (spec.causal ? 1 : 2);
  for (let i = 0; i < ordinary; i++) {
    const word = WORDS[i % WORDS.length];
    if (i > 0) offset += 1;
    tokens.push({ id: 100 + (i % WORDS.length), text: word, start: offset, end: offset + word.length, special: false });
    words.push(word);
    offset += word.length;
  }
  if (!spec.causal) tokens.push({ id: 2, text: '[SEP]', start: offset, end: offset, special: true });
  return { text: words.join(' '), tokens };
}

/**
 * One layer, [heads][T][T]. With kind 'pattern', head h of layer l puts weight s = 0.9 − 0.1·l
 * (at least 0.5) on one key and spreads the rest evenly over every key it may see:
 * h % 4 = 0 the previous token (the first token itself), 1 the first token, 2 itself,
 * 3 the next token (the last token itself; causal models: itself).
 */
export function syntheticLayer(spec: SyntheticSpec, layer: number): Float32Array {
  const T = spec.tokens;
  const out = new Float32Array(spec.heads * T * T);
  const random = seeded(1000 + layer);
  for (let h = 0; h < spec.heads; h++) {
    for (let i = 0; i < T; i++) {
      const row = out.subarray((h * T + i) * T, (h * T + i + 1) * T);
      const visible = spec.causal ? i + 1 : T;
      if (spec.kind === 'random') {
        // Peaky rows like trained heads: a few keys get most of the weight.
        let sum = 0;
        for (let j = 0; j < visible; j++) {
          row[j] = Math.exp(6 * random() ** 3);
          sum += row[j];
        }
        for (let j = 0; j < visible; j++) row[j] /= sum;
        continue;
      }
      const s = Math.max(0.5, 0.9 - 0.1 * layer);
      for (let j = 0; j < visible; j++) row[j] = (1 - s) / visible;
      row[patternTarget(spec, h, i)] += s;
    }
  }
  return out;
}

/** The key that head h's pattern singles out for query i. */
export function patternTarget(spec: SyntheticSpec, h: number, i: number): number {
  switch (h % 4) {
    case 0: return Math.max(0, i - 1);
    case 1: return 0;
    case 2: return i;
    default: return spec.causal ? i : Math.min(spec.tokens - 1, i + 1);
  }
}

function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
