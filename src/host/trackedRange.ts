// Follows an inspected range through edits of its document, in UTF-16 offsets. Edits before the
// range shift it, edits after it leave it alone, and an edit that touches its text makes the
// inspection stale: its attention belongs to text that is no longer there. A stale range keeps
// growing to cover the edits, so that a re-run (attentionLens.followSelection) inspects the new
// text. No `vscode` import.

/** One replacement, as in `TextDocumentContentChangeEvent`: `length` units at `offset` become `inserted` units. */
export interface OffsetEdit {
  offset: number;
  length: number;
  inserted: number;
}

export type EditEffect = 'before' | 'after' | 'inside';

export class TrackedRange {
  private isStale = false;

  constructor(
    private startOffset: number,
    private endOffset: number,
  ) {}

  get start(): number {
    return this.startOffset;
  }

  get end(): number {
    return this.endOffset;
  }

  /** True once an edit touched the range's text. */
  get stale(): boolean {
    return this.isStale;
  }

  /**
   * Applies one edit. Changes of one document event must be applied in the order VS Code lists
   * them (it lists them so that each offset holds after the ones before it are applied).
   */
  apply(edit: OffsetEdit): EditEffect {
    const editEnd = edit.offset + edit.length;
    const delta = edit.inserted - edit.length;
    // Typing right at the start pushes the range along; typing right at the end does not extend it.
    if (editEnd <= this.startOffset) {
      this.startOffset += delta;
      this.endOffset += delta;
      return 'before';
    }
    if (edit.offset >= this.endOffset) return 'after';
    this.isStale = true;
    this.startOffset = Math.min(this.startOffset, edit.offset);
    this.endOffset = Math.max(this.endOffset + delta, edit.offset + edit.inserted);
    return 'inside';
  }

  /** Marks the range stale without an edit, e.g. when an edit may have been missed. */
  markStale(): void {
    this.isStale = true;
  }

  /** Narrows the end, e.g. to the last token when the engine inspected only part of the text. */
  truncate(end: number): void {
    this.endOffset = Math.max(this.startOffset, Math.min(this.endOffset, end));
  }
}
