// What the editor hands the engine: text worth inspecting, with the cases that are not caught
// before they reach the tokenizer. No `vscode` import.

export type PreparedText =
  | { kind: 'text'; text: string; loneSurrogates: number }
  | { kind: 'empty' }
  | { kind: 'binary' };

// A high surrogate not followed by a low one, or a low surrogate not preceded by a high one.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Classifies the selected text and makes it safe to tokenize without moving any offset. */
export function prepareText(text: string): PreparedText {
  if (text.trim() === '') return { kind: 'empty' };
  // NUL never occurs in text people write; a document holding it is a binary file opened as text.
  if (text.includes('\u0000')) return { kind: 'binary' };
  // A lone surrogate cannot be encoded as UTF-8 for the tokenizer. U+FFFD is one UTF-16 unit, as the
  // surrogate was, so every token offset still points at the same place in the document.
  let loneSurrogates = 0;
  const wellFormed = text.replace(LONE_SURROGATE, () => {
    loneSurrogates++;
    return '\uFFFD';
  });
  return { kind: 'text', text: wellFormed, loneSurrogates };
}
