// How tokens and weights are written in the views: the same words in the strip, the matrix's axes,
// its tooltip and the head view, so a user can match them up.
import type { Token } from '../../src/protocol';

/** A token's text with its whitespace made visible; special tokens keep their own spelling. */
export function tokenLabel(token: Token, text?: string): string {
  let raw = !token.special && text !== undefined && token.end > token.start ? text.slice(token.start, token.end) : token.text;
  // A space marker the normaliser prepended shares the first character's range; labelling it with
  // that character would make the text read twice ("tthere"), so it shows as the space it stands for.
  if (/^[\s▁Ġ]+$/u.test(token.text) && /\S/u.test(raw)) raw = token.text.replace(/[▁Ġ]/gu, ' ');
  // Whitespace is what a reader most needs to see and cannot; `▁`/`Ġ` already mark it in most vocabularies.
  return raw.replace(/\r?\n/g, '↵').replace(/\t/g, '⇥').replace(/ /g, '·') || '∅';
}

/** An attention weight with three decimals; tiny non-zero weights in scientific notation so they do not read as 0. */
export function formatWeight(value: number): string {
  if (value === 0) return '0';
  if (Math.abs(value) < 0.0005) return value.toExponential(1);
  return value.toFixed(3);
}

/** `query → key: value`, the line the matrix tooltip shows. */
export function cellText(query: string, key: string, value: number, suffix = ''): string {
  return `${query} → ${key}: ${formatWeight(value)}${suffix}`;
}
