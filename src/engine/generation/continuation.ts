// The text a continuation adds, token by token. A token's text is what the model's decoder writes
// once it is appended, which its piece alone does not say: SentencePiece's ▁, GPT-2's byte-level
// alphabet and byte-fallback pieces all need the decoder. Each token's increment is the decoded text
// of a few preceding ids with it, less the same without it; whatever the decoder does at the
// start of a sequence (dropping a leading space) then happens to both and cancels out.

// Ids decoded before the new ones: at least enough for a character split over byte pieces (4) and
// some context. The window starts at a multiple of it, so for LOOKBEHIND tokens in a row it starts at
// the same id and one token's decoded text is the next one's text before: one decode per token.
const LOOKBEHIND = 8;
// What a decoder writes for bytes that do not (yet) form a character.
const INCOMPLETE = '\uFFFD';

/** What the continuation needs of the tokenizer. */
export interface Decoding {
  decode(ids: number[]): string;
}

/** The prompt's text followed by what each new token adds, and every new token's range in it. */
export class Continuation {
  private readonly ids: number[];
  /** Index in `ids` of the first id whose text has not been written yet. */
  private written: number;
  private whole: string;
  // The last decode: ids[from, to) gave `text`.
  private last = { from: 0, to: 0, text: '' };

  constructor(private readonly tokenizer: Decoding, readonly prompt: string, promptIds: number[]) {
    this.ids = [...promptIds];
    this.written = this.ids.length;
    this.whole = prompt;
  }

  /** The prompt and the continuation so far. */
  get text(): string {
    return this.whole;
  }

  /** The continuation alone. */
  get added(): string {
    return this.whole.slice(this.prompt.length);
  }

  /**
   * Appends a token; returns its UTF-16 range in `text`. A byte piece that ends inside a character
   * gets an empty range, and the piece that completes the character the character's whole range.
   */
  add(id: number): { start: number; end: number } {
    this.ids.push(id);
    const from = Math.max(0, Math.floor(this.written / LOOKBEHIND) * LOOKBEHIND - LOOKBEHIND);
    const { last } = this;
    const before = last.from === from && last.to === this.written ? last.text : this.tokenizer.decode(this.ids.slice(from, this.written));
    const after = this.tokenizer.decode(this.ids.slice(from));
    this.last = { from, to: this.ids.length, text: after };
    // A decoder that rewrites earlier text once more follows (rare) loses the context, not the token.
    const piece = after.startsWith(before) ? after.slice(before.length) : this.tokenizer.decode(this.ids.slice(this.written));
    const start = this.whole.length;
    if (piece.endsWith(INCOMPLETE)) return { start, end: start };
    this.whole += piece;
    this.written = this.ids.length;
    return { start, end: this.whole.length };
  }
}
