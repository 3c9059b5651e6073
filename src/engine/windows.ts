// Overlapping windows over a text longer than the model's context. The whole text is tokenized once
// and cut into slices of its tokens, so a token keeps the id and the offsets it has in the whole
// text (the editor places it with no arithmetic) and the overlap of two windows holds the same
// tokens in both. Each window is wrapped in the special tokens the tokenizer puts around a single
// sequence ([CLS] … [SEP] for BERT, a BOS for causal models that add one), placed zero-width at the
// window's ends. No `vscode` import, no model: pure arithmetic on token lists.
import type { TextWindow, Token } from '../protocol';

/** A tokenized text: tokens with the special tokens the tokenizer adds around it, and their type ids. */
export interface TokenizedText {
  tokens: Token[];
  typeIds: number[];
}

/** How many of a tokenized text's first and last tokens the tokenizer added around the text. */
export interface InsertedCounts {
  before: number;
  after: number;
}

/** The share of a window's text tokens that the next window sees again. */
export const OVERLAP_SHARE = 1 / 4;

/**
 * Cuts the text tokens between the inserted ones into windows of at most `context` tokens, specials
 * included. Windows overlap by a quarter of their text tokens, never split a character that several
 * byte tokens share, and all but a short text's only window hold a full context: the last one ends
 * at the text's end and reaches back as far as it needs.
 */
export function planWindows(text: TokenizedText, inserted: InsertedCounts, context: number): TextWindow[] {
  const body = text.tokens.slice(inserted.before, text.tokens.length - inserted.after);
  const size = Math.max(1, context - inserted.before - inserted.after);
  const overlap = Math.floor(size * OVERLAP_SHARE);
  const n = body.length;
  // A cut before body[i] is clean when body[i] does not share the character of the token before it.
  const clean = (i: number): boolean => i <= 0 || i >= n || body[i].start >= body[i - 1].end;
  const back = (i: number, floor: number): number => {
    let j = i;
    while (j > floor && !clean(j)) j--;
    return j > floor ? j : i;
  };
  const forward = (i: number): number => {
    let j = i;
    while (j < n && !clean(j)) j++;
    return j;
  };
  const ranges: [number, number][] = [];
  let first = 0;
  for (;;) {
    if (n - first <= size) {
      // The rest fits: end at the text's end with as full a window as the context allows.
      ranges.push([Math.min(first, forward(Math.max(0, n - size))), n]);
      break;
    }
    const end = back(first + size, first);
    ranges.push([first, end]);
    const next = back(end - overlap, first);
    // Never past `end`, or a character longer than a window would leave a gap.
    first = next > first ? next : Math.min(forward(first + 1), end);
  }
  return ranges.map(([a, b], index) => ({
    index, count: ranges.length, firstToken: a, endToken: b, textTokens: n, ...spanOf(body, a, b),
  }));
}

/** The tokens and type ids the model runs for `window`: its slice wrapped in the inserted specials. */
export function windowInput(text: TokenizedText, inserted: InsertedCounts, window: TextWindow): TokenizedText {
  const { tokens, typeIds } = text;
  const tail = tokens.length - inserted.after;
  const at = (offset: number) => (t: Token): Token => ({ ...t, start: offset, end: offset });
  const a = inserted.before + window.firstToken;
  const b = inserted.before + window.endToken;
  return {
    tokens: [
      ...tokens.slice(0, inserted.before).map(at(window.start)),
      ...tokens.slice(a, b),
      ...tokens.slice(tail).map(at(window.end)),
    ],
    typeIds: [...typeIds.slice(0, inserted.before), ...typeIds.slice(a, b), ...typeIds.slice(tail)],
  };
}

/**
 * How many of `tokens`' ends are the specials a tokenizer adding `around` put there: they must be
 * special and zero-width (a typed "[CLS]" at the start of the text is neither inserted nor moved).
 */
export function insertedCounts(tokens: readonly Token[], around: InsertedCounts): InsertedCounts {
  const inserted = (t: Token | undefined): boolean => t !== undefined && t.special && t.start === t.end;
  let before = 0;
  while (before < around.before && inserted(tokens[before])) before++;
  let after = 0;
  while (after < around.after && tokens.length - after - 1 >= before && inserted(tokens[tokens.length - after - 1])) after++;
  return { before, after };
}

// The UTF-16 range of the text a slice of tokens covers; an empty slice sits where its neighbours meet.
function spanOf(body: readonly Token[], a: number, b: number): { start: number; end: number } {
  let start = Infinity;
  let end = -Infinity;
  for (let i = a; i < b; i++) {
    start = Math.min(start, body[i].start);
    end = Math.max(end, body[i].end);
  }
  if (start > end) {
    const at = body[a - 1]?.end ?? body[a]?.start ?? 0;
    return { start: at, end: at };
  }
  return { start, end };
}
