// Maps UTF-16 offsets in an inspected text to line/character positions in its document. It works on
// the text as it was inspected, not on the live document, so ranges stay right while the user types
// during a slow model load. No `vscode` import: pure and testable anywhere.

export interface LineCharacter {
  line: number;
  character: number;
}

/** Returns a mapper from offsets in `text` to document positions, `text` starting at `start`. */
export function positionsIn(text: string, start: LineCharacter): (offset: number) => LineCharacter {
  // Offsets where each line of `text` starts; `\r\n` is one break, as in VS Code's text model.
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 /* \n */ || (c === 13 /* \r */ && text.charCodeAt(i + 1) !== 10)) lineStarts.push(i + 1);
  }
  const lineEnd = (line: number): number => {
    if (line + 1 >= lineStarts.length) return text.length;
    let end = lineStarts[line + 1] - 1;
    if (end > lineStarts[line] && text.charCodeAt(end) === 10 && text.charCodeAt(end - 1) === 13) end--;
    return end;
  };
  return (offset) => {
    const o = Math.max(0, Math.min(offset, text.length));
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid] <= o) lo = mid;
      else hi = mid - 1;
    }
    // An offset inside a line break (between \r and \n) belongs at the end of its line.
    const character = Math.min(o, lineEnd(lo)) - lineStarts[lo];
    return lo === 0
      ? { line: start.line, character: start.character + character }
      : { line: start.line + lo, character };
  };
}
