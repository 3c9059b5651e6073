// Paints what one token attends to. A fixed set of decoration types, one per opacity bucket, is
// created once and reused: a decoration type per token would create and dispose hundreds of CSS
// rules on every mouse move.
import * as vscode from 'vscode';
import type { Inspection } from './inspection';

/** How many opacity steps a weight is rounded to. */
export const BUCKETS = 10;

/** The contributed theme colour the buckets are shades of. */
export const ATTENDED_COLOR = 'attentionLens.attendedBackground';

export interface PaintedToken {
  index: number;
  /** 1..BUCKETS: the weight relative to the row's strongest visible key, rounded. */
  bucket: number;
  range: vscode.Range;
}

/** What is painted for one focused token. */
export interface HighlightPlan {
  focus: number;
  painted: PaintedToken[];
}

/**
 * Which tokens to paint for query `focus` and how strongly. Opacity follows the weight relative to
 * the strongest key that can be painted: rows of long texts spread their mass thin, and special
 * tokens (zero-width, unpaintable) often take most of it, so absolute weights would look empty.
 */
export function planHighlights(inspection: Inspection, focus: number, row: Float32Array): HighlightPlan {
  let strongest = 0;
  const ranges: (vscode.Range | undefined)[] = [];
  for (let key = 0; key < row.length; key++) {
    const range = inspection.tokenRange(key);
    ranges.push(range);
    if (range && row[key] > strongest) strongest = row[key];
  }
  const painted: PaintedToken[] = [];
  if (strongest > 0) {
    ranges.forEach((range, index) => {
      const bucket = Math.min(BUCKETS, Math.round((row[index] / strongest) * BUCKETS));
      if (range && bucket > 0) painted.push({ index, bucket, range });
    });
  }
  return { focus, painted };
}

export class AttentionHighlights implements vscode.Disposable {
  private buckets: vscode.TextEditorDecorationType[] | undefined;
  private focusType: vscode.TextEditorDecorationType | undefined;
  private shown: { inspection: Inspection; plan: HighlightPlan; editors: number } | undefined;

  /** Paints `plan` in every visible editor of the inspected document. */
  show(inspection: Inspection, plan: HighlightPlan): void {
    this.shown = { inspection, plan, editors: 0 };
    this.paintVisible();
  }

  /** Paints the current plan into editors that have just become visible. */
  paintVisible(): void {
    const shown = this.shown;
    if (!shown) return;
    const editors = vscode.window.visibleTextEditors.filter((e) => shown.inspection.isIn(e.document));
    for (const editor of editors) this.paint(editor, shown.inspection, shown.plan);
    shown.editors = editors.length;
  }

  /** Removes every highlight from every editor. */
  clear(): void {
    if (!this.shown) return;
    const { inspection } = this.shown;
    this.shown = undefined;
    for (const editor of vscode.window.visibleTextEditors) {
      if (!inspection.isIn(editor.document)) continue;
      for (const type of this.buckets ?? []) editor.setDecorations(type, []);
      if (this.focusType) editor.setDecorations(this.focusType, []);
    }
  }

  /** What is painted now, for the integration tests. */
  snapshot(): { focus: number; painted: PaintedToken[]; editors: number } | undefined {
    return this.shown && { focus: this.shown.plan.focus, painted: this.shown.plan.painted, editors: this.shown.editors };
  }

  dispose(): void {
    this.clear();
    for (const type of this.buckets ?? []) type.dispose();
    this.focusType?.dispose();
    this.buckets = undefined;
    this.focusType = undefined;
  }

  private paint(editor: vscode.TextEditor, inspection: Inspection, plan: HighlightPlan): void {
    const types = this.types();
    const byBucket: vscode.Range[][] = types.map(() => []);
    for (const token of plan.painted) byBucket[token.bucket - 1].push(token.range);
    types.forEach((type, i) => editor.setDecorations(type, byBucket[i]));
    const focusRange = inspection.tokenRange(plan.focus);
    editor.setDecorations(this.focusType!, focusRange ? [focusRange] : []);
  }

  // Created on first paint, not at activation.
  private types(): vscode.TextEditorDecorationType[] {
    if (this.buckets) return this.buckets;
    // A ThemeColor cannot carry an opacity, so each bucket mixes the theme colour's CSS variable
    // with transparency; the colour stays themable through `workbench.colorCustomizations`.
    const variable = `var(--vscode-${ATTENDED_COLOR.replace(/\./g, '-')})`;
    this.buckets = Array.from({ length: BUCKETS }, (_, i) => vscode.window.createTextEditorDecorationType({
      backgroundColor: `color-mix(in srgb, ${variable} ${((i + 1) * 100) / BUCKETS}%, transparent)`,
      borderRadius: '2px',
      rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
    }));
    this.focusType = vscode.window.createTextEditorDecorationType({
      borderWidth: '1px',
      borderStyle: 'solid',
      borderColor: new vscode.ThemeColor('focusBorder'),
      borderRadius: '2px',
      rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
    });
    return this.buckets;
  }
}
