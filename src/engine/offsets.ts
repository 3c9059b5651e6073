// Token offsets for a tokenizer that reports none. The normaliser is replayed on the original text
// while every normalised code point remembers the UTF-16 range it came from; the token pieces are
// then walked along that stream. Ranges only ever come from code-point boundaries, so no offset can
// land inside a surrogate pair, and the walk is a single forward pass (linear in the text).

import { BYTE_PIECE, PUNCT, isSpace, markAt, normalized, type Piece, type PieceConventions, type Units } from './normalizedText';

export type { NormalizerStep, Piece, PieceConventions, PieceKind } from './normalizedText';


const utf8Length = (cp: number): number => (cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4);

/** Byte k of the UTF-8 encoding of cp; lone surrogates encode as U+FFFD, as TextEncoder does. */
function utf8Byte(cp: number, k: number): number {
  if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;
  const n = utf8Length(cp);
  if (n === 1) return cp;
  if (k === 0) return (n === 2 ? 0xc0 : n === 3 ? 0xe0 : 0xf0) | (cp >> (6 * (n - 1)));
  return 0x80 | ((cp >> (6 * (n - 1 - k))) & 0x3f);
}

/** GPT-2's printable stand-ins for bytes, inverted: stand-in code point → byte. */
const BYTE_OF_CHAR: ReadonlyMap<number, number> = (() => {
  const map = new Map<number, number>();
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    map.set(printable ? b : 256 + extra++, b);
  }
  return map;
})();

/** A piece as atoms: code points (>= 0) or UTF-8 bytes (stored as ~byte, < 0). */
function atomsOf(piece: Piece, conv: PieceConventions): number[] {
  let t = piece.text;
  const cps = (s: string): number[] => Array.from(s, (c) => c.codePointAt(0) as number);
  if (piece.kind === 'added') return cps(t);
  const byte = conv.byteFallback ? BYTE_PIECE.exec(t) : null;
  if (byte) return [~parseInt(byte[1], 16)];
  const pre = conv.continuingPrefix, suf = conv.endOfWordSuffix;
  if (pre && t.length > pre.length && t.startsWith(pre)) t = t.slice(pre.length);
  if (suf && t.length > suf.length && t.endsWith(suf)) t = t.slice(0, -suf.length);
  const atoms = cps(t);
  if (conv.byteLevel && atoms.every((c) => BYTE_OF_CHAR.has(c))) return atoms.map((c) => ~(BYTE_OF_CHAR.get(c) as number));
  return atoms;
}

/** Equal up to case, accents and final sigma: covers where the replay and the library disagree. */
function fold(cp: number): string {
  return String.fromCodePoint(cp).toLowerCase().normalize('NFD').replace(/\p{M}/gu, '').replace('ς', 'σ');
}

const RESYNC_WINDOW = 64;
const PROBE_ATOMS = 32;

/** Walks pieces along the normalised text; `u` is the current unit, `b` the byte inside it. */
class Walker {
  u = 0;
  b = 0;
  lo = Infinity;
  hi = -1;
  private readonly cp: number[];
  private readonly marker: number;

  constructor(readonly units: Units, readonly conv: PieceConventions) {
    this.cp = units.ch.map((c) => c.codePointAt(0) as number);
    this.marker = conv.spaceMarker ? (conv.spaceMarker.codePointAt(0) as number) : -1;
  }

  skippable(u: number): boolean {
    return (this.conv.dropsWhitespace && isSpace(this.units.ch[u])) || this.units.s[u] === this.units.e[u];
  }

  equivalent(a: number, c: number): boolean {
    if (a === this.marker && c === 0x20) return true;
    if (a < 0x80 && c < 0x80) return (a | 0x20) === (c | 0x20) && ((a | 0x20) >= 0x61 && (a | 0x20) <= 0x7a);
    return fold(a) === fold(c);
  }

  /** Moves the cursor over one atom; returns the unit it belongs to, or -1 if it does not fit here. */
  advance(a: number, at: { u: number; b: number }, virtual: boolean): number {
    while (at.u < this.cp.length) {
      const u = at.u, c = this.cp[u];
      if (a < 0) {
        if (utf8Byte(c, at.b) === ~a) {
          if (++at.b === utf8Length(c)) {
            at.u++;
            at.b = 0;
          }
          return u;
        }
        if (at.b === 0 && this.skippable(u)) { at.u++; continue; }
        // A byte-level prefix space that the pre-tokenizer added belongs to the first character.
        return virtual && at.b === 0 && ~a === 0x20 && this.conv.byteLevel ? u : -1;
      }
      if (at.b > 0) { at.u++; at.b = 0; continue; }
      if (c === a || this.equivalent(a, c)) { at.u++; return u; }
      if (this.skippable(u)) { at.u++; continue; }
      // A '▁' the normaliser or pre-tokenizer prepended belongs to the character it precedes.
      return virtual && a === this.marker ? u : -1;
    }
    return -1;
  }

  /** Whether atoms[from..] fit strictly (no prepended markers, no guessing) starting at unit u. */
  fits(atoms: readonly number[], from: number, u: number, b = 0): boolean {
    const at = { u, b };
    const end = Math.min(atoms.length, from + PROBE_ATOMS);
    for (let i = from; i < end; i++) if (this.advance(atoms[i], at, false) < 0) return false;
    return end > from;
  }

  touch(u: number): void {
    this.lo = Math.min(this.lo, this.units.s[u]);
    this.hi = Math.max(this.hi, this.units.e[u]);
  }

  match(atoms: readonly number[]): void {
    for (let i = 0; i < atoms.length && this.u < this.cp.length; i++) {
      const u = this.advance(atoms[i], this, true);
      if (u >= 0) { this.touch(u); continue; }
      if (this.u >= this.cp.length) break;
      // The replay and the library disagree here: look a little ahead for where the piece fits,
      // else take one unit as a substitute so the walk keeps moving.
      let k = 1;
      while (k <= RESYNC_WINDOW && this.u + k < this.cp.length && !this.fits(atoms, i, this.u + k)) k++;
      if (k <= RESYNC_WINDOW && this.u + k < this.cp.length) {
        this.u += k;
        this.b = 0;
        i--;
        continue;
      }
      this.touch(this.u);
      if (atoms[i] < 0 && ++this.b < utf8Length(this.cp[this.u])) continue;
      this.u++;
      this.b = 0;
    }
  }

  /** An unknown piece: it covers what lies between the previous piece and where the next one fits. */
  unknown(next: readonly number[] | null, nextIsUnk: boolean): void {
    if (this.b > 0) {
      this.u++;
      this.b = 0;
    }
    while (this.u < this.cp.length && this.skippable(this.u)) this.u++;
    if (this.u >= this.cp.length) return;
    const firstPunct = PUNCT.test(this.units.ch[this.u]);
    this.touch(this.u++);
    for (; this.u < this.cp.length && !this.skippable(this.u); this.u++) {
      if (this.conv.wordLevelUnk ? firstPunct || PUNCT.test(this.units.ch[this.u]) : nextIsUnk || (next !== null && this.fits(next, 0, this.u))) break;
      this.touch(this.u);
    }
  }
}

/** [start, end) of every piece in UTF-16 units of `text`; inserted pieces are zero-width where they were inserted. */
export function alignPieces(text: string, pieces: readonly Piece[], conv: PieceConventions): Array<[number, number]> {
  const walker = new Walker(normalized(text, conv), conv);
  const atoms = pieces.map((p) => (p.kind === 'inserted' ? [] : atomsOf(p, conv)));
  const nextReal = new Array<number>(pieces.length + 1).fill(-1);
  for (let i = pieces.length - 1; i >= 0; i--) nextReal[i] = pieces[i].kind === 'inserted' ? nextReal[i + 1] : i;
  const out: Array<[number, number]> = [];
  let prevStart = 0, prevEnd = 0;
  for (let i = 0; i < pieces.length; i++) {
    const p = pieces[i];
    let s: number, e: number;
    if (p.kind === 'inserted') {
      // Before the text, between pieces, or (when nothing of the text follows) at its very end.
      s = e = nextReal[i] < 0 ? text.length : prevEnd;
    } else {
      walker.lo = Infinity;
      walker.hi = -1;
      const isUnk = p.text === conv.unkToken && !(p.kind === 'added' && walker.fits(atoms[i], 0, walker.u, walker.b));
      if (isUnk) {
        const j = nextReal[i + 1];
        walker.unknown(j < 0 ? null : atoms[j], j >= 0 && pieces[j].text === conv.unkToken);
      } else walker.match(atoms[i]);
      [s, e] = walker.hi < 0 ? [prevEnd, prevEnd] : [walker.lo, walker.hi];
    }
    s = Math.min(Math.max(s, prevStart), text.length);
    e = Math.min(Math.max(e, s), text.length);
    out.push([s, e]);
    prevStart = s;
    prevEnd = Math.max(prevEnd, e);
  }
  // A combining mark the normaliser dropped (accent stripping) still belongs to the character before it.
  for (let i = 0; i < out.length; i++) {
    const next = nextReal[i + 1], limit = next < 0 ? text.length : out[next][0];
    if (pieces[i].kind === 'inserted' || out[i][0] === out[i][1]) continue;
    for (let n = markAt(text, out[i][1]); n > 0 && out[i][1] < limit; n = markAt(text, out[i][1])) out[i][1] += n;
  }
  return out;
}
