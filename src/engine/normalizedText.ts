// The normaliser of a tokenizer, replayed on the original text so that every normalised code point
// remembers the UTF-16 range it came from. Offsets are then read off this stream (offsets.ts).

/** One step of a tokenizer's normaliser, replayed with alignment (as @huggingface/tokenizers applies it). */
export type NormalizerStep =
  | { kind: 'clean' } // BertNormalizer clean_text: drop controls, whitespace becomes ' '
  | { kind: 'cjkSpaces' } // BertNormalizer handle_chinese_chars
  | { kind: 'lowercase' }
  | { kind: 'unicode'; form: 'NFC' | 'NFD' | 'NFKC' | 'NFKD' }
  | { kind: 'stripMarks'; nonSpacingOnly: boolean }
  | { kind: 'precompiled' }
  | { kind: 'prepend'; text: string }
  | { kind: 'replace'; pattern: RegExp; content: string }
  | { kind: 'strip'; left: boolean; right: boolean };

/** How a tokenizer spells its pieces, derived from its tokenizer.json. */
export interface PieceConventions {
  steps: NormalizerStep[];
  /** WordPiece '##': pieces inside a word carry it, the text does not. */
  continuingPrefix: string | null;
  endOfWordSuffix: string | null;
  /** Metaspace '▁' standing for a space, possibly prepended to the text. */
  spaceMarker: string | null;
  /** GPT-2 style pieces: every character stands for one UTF-8 byte. */
  byteLevel: boolean;
  /** `<0xNN>` pieces stand for one UTF-8 byte. */
  byteFallback: boolean;
  unkToken: string | null;
  /** The pre-tokenizer throws whitespace away (BERT), so pieces may skip it. */
  dropsWhitespace: boolean;
  /** WordPiece turns a whole unknown word into one unk piece. */
  wordLevelUnk: boolean;
  /** Added tokens the library finds in the raw text; the text between them is normalised piece by piece. */
  literalAdded: string[];
}

/** 'inserted': added by the post-processor; 'added': an added token found in the text. */
export type PieceKind = 'model' | 'added' | 'inserted';

export interface Piece {
  text: string;
  kind: PieceKind;
}

/** The normalised text: one code point per entry, with the [s, e) it came from in the original. */
export interface Units {
  ch: string[];
  s: number[];
  e: number[];
}

const CONTROL = /[\p{Cc}\p{Cf}\p{Co}\p{Cs}]/u;
const WHITESPACE = /^\s$/u;
const MARK = /\p{M}/u;
const NONSPACING_MARK = /\p{Mn}/u;
export const PUNCT = /[\p{P}\u0021-\u002F\u003A-\u0040\u005B-\u0060\u007B-\u007E]/u;
// What the library's Precompiled normaliser drops, and what it turns into a space, before NFKC.
const precompiledDrop = (c: number): boolean =>
  (c >= 1 && c <= 8) || c === 0x0b || (c >= 0x0e && c <= 0x1f) || c === 0x7f || c === 0x8f || c === 0x9f;
const PRECOMPILED_SPACE = new Set([9, 10, 12, 13, 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x2581, 0x3000, 0xfeff, 0xfffd]);
const precompiledSpace = (c: number): boolean => PRECOMPILED_SPACE.has(c) || (c >= 0x2000 && c <= 0x200f);
export const BYTE_PIECE = /^<0x([0-9A-Fa-f]{2})>$/;

const isCjk = (c: number): boolean =>
  (c >= 0x4e00 && c <= 0x9fff) || (c >= 0x3400 && c <= 0x4dbf) || (c >= 0xf900 && c <= 0xfaff);
const isMark = (c: string): boolean => c.charCodeAt(0) >= 0x300 && MARK.test(c);
/** UTF-16 length of the combining mark at text[i], or 0 if there is none. */
export function markAt(text: string, i: number): number {
  const cp = text.codePointAt(i);
  return cp !== undefined && isMark(String.fromCodePoint(cp)) ? (cp > 0xffff ? 2 : 1) : 0;
}


const empty = (): Units => ({ ch: [], s: [], e: [] });

function push(u: Units, ch: string, s: number, e: number): void {
  u.ch.push(ch);
  u.s.push(s);
  u.e.push(e);
}

/** Whitespace as JavaScript's \s sees it, which is what the library tests with. */
export function isSpace(c: string): boolean {
  const code = c.charCodeAt(0);
  return code < 0x80 ? code === 0x20 || (code >= 9 && code <= 13) : WHITESPACE.test(c);
}

function units(text: string, from: number, to: number): Units {
  const u = empty();
  for (let i = from; i < to; ) {
    const n = (text.codePointAt(i) as number) > 0xffff && i + 1 < to ? 2 : 1;
    push(u, text.slice(i, i + n), i, i + n);
    i += n;
  }
  return u;
}

/** Where the library cuts the text before normalising: [start, end, isAddedToken], longest match first. */
function sections(text: string, literals: readonly string[]): Array<[number, number, boolean]> {
  const byFirst = new Map<string, string[]>();
  for (const l of literals) if (l) byFirst.set(l[0], [...(byFirst.get(l[0]) ?? []), l].sort((a, b) => b.length - a.length));
  const out: Array<[number, number, boolean]> = [];
  let start = 0;
  for (let i = 0; i < text.length; ) {
    const hit = byFirst.size === 0 ? undefined : byFirst.get(text[i])?.find((l) => text.startsWith(l, i));
    if (hit === undefined) { i++; continue; }
    if (i > start) out.push([start, i, false]);
    out.push([i, i + hit.length, true]);
    i = start = i + hit.length;
  }
  if (start < text.length) out.push([start, text.length, false]);
  return out;
}

/** The normalised text, each section replayed on its own as the library normalises it. */
export function normalized(text: string, conv: PieceConventions): Units {
  const parts = sections(text, conv.literalAdded).map(([from, to, literal]) =>
    (literal ? units(text, from, to) : replay(units(text, from, to), conv.steps)));
  if (parts.length === 1) return parts[0];
  const all = empty();
  for (const u of parts) for (let i = 0; i < u.ch.length; i++) push(all, u.ch[i], u.s[i], u.e[i]);
  return all;
}

type Sink = (c: string, s: number, e: number) => void;

/** Steps that map every code point on its own; consecutive ones share one pass. */
const isLocal = (step: NormalizerStep): boolean =>
  step.kind === 'clean' || step.kind === 'cjkSpaces' || step.kind === 'lowercase' || step.kind === 'stripMarks'
  || step.kind === 'precompiled' || (step.kind === 'unicode' && (step.form === 'NFD' || step.form === 'NFKD'));

/** Sends one code point through one per-character step; every output keeps the input's range. */
function mapChar(step: NormalizerStep, c: string, s: number, e: number, next: Sink): void {
  const code = c.charCodeAt(0);
  switch (step.kind) {
    case 'clean':
      if (code === 0xfffd || (code < 0x80 ? (code < 0x20 && c !== '\t' && c !== '\n' && c !== '\r') || code === 0x7f : CONTROL.test(c))) return;
      return next(isSpace(c) ? ' ' : c, s, e);
    case 'cjkSpaces':
      if (c.length !== 1 || !isCjk(code)) return next(c, s, e);
      // The padding spaces are zero-width: they only separate words and are dropped later.
      next(' ', s, s);
      next(c, s, e);
      return next(' ', e, e);
    case 'lowercase':
      if (code < 0x80) return next(code >= 0x41 && code <= 0x5a ? String.fromCharCode(code | 0x20) : c, s, e);
      for (const x of c.toLowerCase()) next(x, s, e);
      return;
    case 'unicode':
      if (code < 0xa0) return next(c, s, e);
      for (const x of c.normalize(step.form)) next(x, s, e);
      return;
    case 'stripMarks':
      if (code < 0x300 || !(step.nonSpacingOnly ? NONSPACING_MARK : MARK).test(c)) next(c, s, e);
      return;
    case 'precompiled':
      if (!precompiledDrop(code)) next(precompiledSpace(code) ? ' ' : c, s, e);
      return;
    default:
      next(c, s, e);
  }
}

/** Composing normalisation, per base character plus the combining marks that may compose with it. */
function normalizeClusters(u: Units, form: string): Units {
  const out = empty();
  for (let i = 0; i < u.ch.length; ) {
    let j = i + 1;
    while (j < u.ch.length && isMark(u.ch[j])) j++;
    if (j === i + 1 && u.ch[i].charCodeAt(0) < 0xa0) push(out, u.ch[i], u.s[i], u.e[i]);
    else {
      const s = Math.min(...u.s.slice(i, j)), e = Math.max(...u.e.slice(i, j));
      for (const x of u.ch.slice(i, j).join('').normalize(form)) push(out, x, s, e);
    }
    i = j;
  }
  return out;
}

function replace(u: Units, pattern: RegExp, content: string): Units {
  if (!pattern.global) return u;
  const joined = u.ch.join('');
  const owner = new Int32Array(joined.length);
  for (let i = 0, k = 0; i < u.ch.length; i++) for (let l = 0; l < u.ch[i].length; l++) owner[k++] = i;
  const out = empty();
  let next = 0;
  for (const m of joined.matchAll(pattern)) {
    if (m[0].length === 0) continue;
    const a = owner[m.index], b = owner[m.index + m[0].length - 1];
    for (; next < a; next++) push(out, u.ch[next], u.s[next], u.e[next]);
    const e = Math.max(...u.e.slice(a, b + 1));
    for (const x of content) push(out, x, u.s[a], e);
    next = b + 1;
  }
  for (; next < u.ch.length; next++) push(out, u.ch[next], u.s[next], u.e[next]);
  return out;
}

/** Replays the normaliser on a stretch of text. */
function replay(u: Units, steps: readonly NormalizerStep[]): Units {
  for (let k = 0; k < steps.length; ) {
    const step = steps[k];
    if (step.kind === 'unicode' && !isLocal(step)) u = normalizeClusters(u, step.form);
    else if (step.kind === 'replace') u = replace(u, step.pattern, step.content);
    else if (step.kind === 'prepend') {
      // The prepended text belongs to the first character, as in Hugging Face's own alignments.
      const out = empty();
      if (u.ch.length > 0) for (const x of step.text) push(out, x, u.s[0], u.e[0]);
      for (let i = 0; i < u.ch.length; i++) push(out, u.ch[i], u.s[i], u.e[i]);
      u = out;
    } else if (step.kind === 'strip') {
      let first = 0, last = u.ch.length;
      while (step.left && first < last && isSpace(u.ch[first])) first++;
      while (step.right && last > first && isSpace(u.ch[last - 1])) last--;
      u = { ch: u.ch.slice(first, last), s: u.s.slice(first, last), e: u.e.slice(first, last) };
    }
    if (!isLocal(step)) { k++; continue; }
    let end = k;
    while (end < steps.length && isLocal(steps[end])) end++;
    const out = empty();
    let sink: Sink = (c, s, e) => push(out, c, s, e);
    for (let j = end - 1; j >= k; j--) {
      const next = sink, local = steps[j];
      sink = (c, s, e) => mapChar(local, c, s, e, next);
    }
    for (let i = 0; i < u.ch.length; i++) sink(u.ch[i], u.s[i], u.e[i]);
    u = out;
    k = end;
  }
  return u;
}
