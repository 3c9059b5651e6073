// The matrix's tooltip: "query → key: weight" for the cell under the pointer or keyboard cursor, with
// the cell's exact weight. When the matrix is drawn cell for cell the weight is read from what was
// drawn; when it is pooled (a pixel shows the strongest of several cells) the one cell is asked for.
// The tooltip shows only once its weight is known, so it never reads a pooled maximum as a cell's.
import type { AttentionChoice, AttentionReply } from '../../src/protocol';
import { cellText } from './format';
import type { MatrixCell } from './matrixPainting';
import { ReplySlot } from './replySlot';
import type { Translate } from './strings';

type MatrixReply = Extract<AttentionReply, { type: 'matrix' }>;

/** What the tooltip is for: a cell, the tokens it stands for, and where to show it. */
export interface TooltipTarget {
  cell: MatrixCell;
  query: string;
  key: string;
  masked: boolean;
  choice: AttentionChoice;
  /** Beside this point, in the canvas's CSS pixels. */
  x: number;
  y: number;
  /** The canvas's CSS width: the tooltip flips left near its right edge. */
  width: number;
}

export class MatrixTooltip {
  readonly element: HTMLElement;
  private target: TooltipTarget | undefined;
  private readonly cells = new ReplySlot(() => this.refresh(), { keep: 16 });

  constructor(private readonly t: Translate) {
    this.element = document.createElement('div');
    this.element.className = 'al-tooltip';
    this.element.setAttribute('role', 'status');
    this.element.hidden = true;
  }

  /** A new inspection: its cells are asked of `data`. */
  reset(data: Parameters<ReplySlot['reset']>[0]): void {
    this.cells.reset(data);
    this.hide();
  }

  /** Shows the tooltip for `target`; `drawn` is the reply on screen for the same choice, read when it has the cell unpooled. */
  show(target: TooltipTarget, drawn: MatrixReply | undefined): void {
    this.target = target;
    const value = exactValue(drawn, target) ?? this.asked(target);
    if (value === undefined) {
      this.element.hidden = true;
      return;
    }
    this.element.textContent = cellText(target.query, target.key, value, target.masked ? ` (${this.t('matrix.masked')})` : '');
    this.element.dataset.row = String(target.cell.r);
    this.element.dataset.column = String(target.cell.c);
    this.element.hidden = false;
    const flip = target.x > target.width * 0.6;
    this.element.style.left = flip ? '' : `${target.x + 14}px`;
    this.element.style.right = flip ? `${target.width - target.x + 14}px` : '';
    this.element.style.top = `${target.y + 14}px`;
  }

  hide(): void {
    this.target = undefined;
    this.cells.abandon();
    this.element.hidden = true;
  }

  private refresh(): void {
    if (this.target) this.show(this.target, undefined);
  }

  private asked({ cell: { r, c }, choice }: TooltipTarget): number | undefined {
    const reply = this.cells.get({ type: 'matrix', choice, window: { q0: r, q1: r + 1, k0: c, k1: c + 1 }, cells: 1 });
    return reply?.type === 'matrix' ? new Float32Array(reply.values)[0] : undefined;
  }
}

/** The cell's weight from a reply that holds it unpooled (the caller passes one for the same choice). */
function exactValue(reply: MatrixReply | undefined, { cell: { r, c } }: TooltipTarget): number | undefined {
  if (!reply || reply.pooled) return undefined;
  const { q0, q1, k0, k1 } = reply.window;
  if (r < q0 || r >= q1 || c < k0 || c >= k1) return undefined;
  return new Float32Array(reply.values)[(r - q0) * reply.cols + (c - k0)];
}
