/** A span of a document, 1-based lines and columns as an editor's status bar shows them. */
export interface LineColumnRange {
  startLine: number;
  startColumn: number;
  endLine: number;
  endColumn: number;
}

/** Parses `L:C-L:C` (1-based; the end column is exclusive, like a selection's cursor). */
export function parseRange(spec: string): LineColumnRange {
  const m = /^(\d+):(\d+)-(\d+):(\d+)$/.exec(spec.trim());
  if (!m) throw new Error(`--range must look like 3:1-5:20 (line:column-line:column), not "${spec}"`);
  const [startLine, startColumn, endLine, endColumn] = m.slice(1).map(Number);
  if (startLine < 1 || startColumn < 1 || endLine < 1 || endColumn < 1) throw new Error('--range lines and columns start at 1');
  if (endLine < startLine || (endLine === startLine && endColumn < startColumn)) throw new Error('--range ends before it starts');
  return { startLine, startColumn, endLine, endColumn };
}

/** Offset in UTF-16 units of a 1-based line/column; lines end at \n (a \r before it stays in the line). */
function offsetOf(text: string, line: number, column: number): number {
  let offset = 0;
  for (let l = 1; l < line; l++) {
    const next = text.indexOf('\n', offset);
    if (next < 0) throw new Error(`--range line ${line} is past the end of the file (${l} lines)`);
    offset = next + 1;
  }
  const lineEnd = text.indexOf('\n', offset);
  const length = (lineEnd < 0 ? text.length : lineEnd) - offset;
  if (column - 1 > length) throw new Error(`--range column ${column} is past the end of line ${line}`);
  return offset + column - 1;
}

/** The text a range covers. */
export function sliceRange(text: string, range: LineColumnRange): string {
  return text.slice(offsetOf(text, range.startLine, range.startColumn), offsetOf(text, range.endLine, range.endColumn));
}
