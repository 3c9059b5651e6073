// An inspection placed in its document: the engine's tokens (its attention stays in the engine's
// store, asked for by `id`), and where the inspected text lies now. Token offsets stay relative to the inspected text; only the tracked start moves
// when the user edits above it, so placing a token is one positionAt, never a re-tokenisation.
import * as vscode from 'vscode';
import type { GeneratedRun, InspectionStarted, Timings, Token } from '../protocol';
import type { TrackedRange } from './trackedRange';

export class Inspection {
  /** The model as the setting named it when this ran (folder or Hub id), for the panel to save. */
  modelSetting?: string;
  /** Set for a continuation: the tokens from `from` on were written by the model, which is not in the document. */
  generated?: Pick<GeneratedRun, 'from' | 'steps'>;
  /** The document version the tracked range is known to match; a gap means an edit was missed. */
  version: number;
  // Indices of the tokens that cover text (special tokens are zero-width), ordered by start.
  private readonly placed: number[];

  constructor(
    readonly id: number,
    readonly document: vscode.TextDocument,
    readonly tracked: TrackedRange,
    /** The text as inspected (with lone surrogates replaced, same length). */
    readonly text: string,
    readonly started: InspectionStarted,
    readonly timings: Timings,
  ) {
    this.version = document.version;
    this.placed = started.tokens
      .map((token, index) => ({ token, index }))
      .filter(({ token }) => token.end > token.start && token.end <= text.length)
      .sort((a, b) => a.token.start - b.token.start || a.index - b.index)
      .map(({ index }) => index);
  }

  get tokens(): readonly Token[] {
    return this.started.tokens;
  }

  get stale(): boolean {
    return this.tracked.stale;
  }

  /** Whether `document` is the inspected one (documents are compared by URI: reopening makes a new object). */
  isIn(document: vscode.TextDocument): boolean {
    return document.uri.toString() === this.document.uri.toString();
  }

  /** The inspected text's range in the document now. */
  range(): vscode.Range {
    return new vscode.Range(this.document.positionAt(this.tracked.start), this.document.positionAt(this.tracked.end));
  }

  /**
   * The token covering document offset `offset`. With `atCaret`, a caret just after a token's last
   * character also finds it, as a caret at the end of a word belongs to that word.
   */
  tokenAt(offset: number, atCaret = false): number | undefined {
    const local = offset - this.tracked.start;
    if (local < 0 || local > this.tracked.end - this.tracked.start) return undefined;
    // The last placed token starting at or before `local`: several byte-fallback tokens can share a
    // character's range, and the last of them has seen the whole character.
    let lo = 0;
    let hi = this.placed.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.tokens[this.placed[mid]].start <= local) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    if (found < 0) return undefined;
    const index = this.placed[found];
    const token = this.tokens[index];
    if (local < token.end) return index;
    if (atCaret && local === token.end) return index;
    return undefined;
  }

  /** Where token `index` is in the document now; undefined for zero-width (special) tokens. */
  tokenRange(index: number): vscode.Range | undefined {
    const token = this.tokens[index];
    // A written token's text is in the ghost text, not the document.
    if (!token || token.end <= token.start || token.end > this.text.length) return undefined;
    return new vscode.Range(
      this.document.positionAt(this.tracked.start + token.start),
      this.document.positionAt(this.tracked.start + token.end),
    );
  }
}
