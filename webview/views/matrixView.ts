// The query × key heatmap. The view asks for the part of the matrix it shows (all of it until zoomed)
// at its canvas's size in device pixels, so a long input arrives max-pooled to one value per pixel and
// a zoomed-in window cell for cell; each reply is painted once into an off-screen canvas, and hover
// and focus only redraw the scaled copy and a few outlines on top. While a new window is on its way
// the last reply for the same matrix is drawn where it lies in the new one. Causal models get their
// upper triangle hatched, since a zero there means "cannot look", not "chose not to look".
import type { AttentionReply, AttentionRequest } from '../../src/protocol';
import { activeToken, type FocusedViewState, type ViewStateStore } from '../state';
import type { Theme } from '../theme';
import { cssColor } from './color';
import { tokenLabel } from './format';
import { heatImage } from './heatmap';
import { sizeCanvas, watchWidth } from './hiDpiCanvas';
import { MatrixGestures } from './matrixGestures';
import { MatrixKeys } from './matrixKeys';
import { drawAxisLabels, drawCausalMask, drawCellBorders, drawHighlights, drawMessage, type MatrixCell, type MatrixGrid } from './matrixPainting';
import { matrixCaption, MatrixNotes } from './matrixNotes';
import { MatrixTooltip } from './matrixTooltip';
import { MatrixZoom } from './matrixZoom';
import { ReplySlot } from './replySlot';
import type { Translate } from './strings';
import type { ViewedInspection } from './viewedInspection';

const MAX_SIDE = 640;
// Cells grow to this many CSS pixels at most: the limit of zooming in.
const MAX_CELL = 36;
// Token labels along the axes only when a cell is tall enough to hold a line of text.
const LABEL_CELL = 12;

type MatrixReply = Extract<AttentionReply, { type: 'matrix' }>;

export class MatrixView {
  readonly element: HTMLElement;
  readonly zoom = new MatrixZoom();
  private readonly caption: HTMLElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly tooltip: MatrixTooltip;
  private readonly notes: MatrixNotes;
  private readonly gestures: MatrixGestures;
  private readonly replies = new ReplySlot(() => this.invalidate(), { keep: 6 });
  private width = MAX_SIDE;
  private inspection?: ViewedInspection;
  private labels: string[] = [];
  private theme?: Theme;
  // The last reply drawn, which matrix it shows, and its picture at one pixel per value.
  private drawn?: { reply: MatrixReply; choice: string; image?: HTMLCanvasElement; theme?: Theme };
  private grid: MatrixGrid = { x0: 0, area: 1, cell: 1, q: 0, k: 0, n: 0 };
  private kept: readonly number[] = [];
  private position: Int32Array = new Int32Array(0);
  private cursor: MatrixCell | null = null;

  constructor(
    private readonly store: ViewStateStore,
    private readonly t: Translate,
    private readonly invalidate: () => void,
    private readonly onLock: (index: number) => void,
  ) {
    this.element = document.createElement('section');
    this.element.className = 'al-section al-matrix';
    const title = document.createElement('h2');
    title.textContent = t('matrix.title');
    this.caption = document.createElement('p');
    this.caption.className = 'al-caption';
    const axes = document.createElement('p');
    axes.className = 'al-note';
    axes.textContent = t('matrix.axes');
    const wrap = document.createElement('div');
    wrap.className = 'al-canvas-wrap';
    this.canvas = document.createElement('canvas');
    this.canvas.tabIndex = 0;
    this.canvas.setAttribute('role', 'img');
    this.tooltip = new MatrixTooltip(t);
    wrap.append(this.canvas, this.tooltip.element);
    this.notes = new MatrixNotes(t);
    this.element.append(title, this.caption, axes, wrap, this.notes.legend, this.notes.notes);

    watchWidth(wrap, (width) => {
      this.width = width;
      this.invalidate();
    });
    this.gestures = new MatrixGestures(this.canvas, {
      zoom: this.zoom,
      positionAt: (x, y) => this.positionAt(x, y),
      cellSize: () => this.grid.cell,
      zoomed: () => this.zoomed(),
    });
    this.canvas.addEventListener('pointermove', (event) => {
      if (!this.gestures.dragging) this.hover(this.cellAt(event.offsetX, event.offsetY));
    });
    this.canvas.addEventListener('pointerleave', () => {
      this.cursor = null;
      this.tooltip.hide();
      store.update({ focus: null });
      this.invalidate();
    });
    this.canvas.addEventListener('click', (event) => {
      const cell = this.cellAt(event.offsetX, event.offsetY);
      if (!this.gestures.takeDragClick() && cell) this.lock(cell);
    });
    const keys = new MatrixKeys(this.zoom, {
      size: () => this.kept.length,
      cursor: () => this.cursor ?? this.firstCell(),
      cellSize: () => this.grid.cell,
      moveCursor: (cell) => this.moveCursor(cell),
      lock: (cell) => this.lock(cell),
      unlock: () => store.update({ locked: null }),
      zoomed: () => this.zoomed(),
    });
    this.canvas.addEventListener('keydown', (event) => keys.onKey(event));
    this.canvas.addEventListener('focus', () => {
      if (this.kept.length > 0 && !this.cursor) this.moveCursor(this.firstCell());
    });
    this.canvas.addEventListener('blur', () => {
      this.tooltip.hide();
      this.cursor = null;
      this.invalidate();
    });
  }

  setInspection(inspection: ViewedInspection, text?: string): void {
    this.inspection = inspection;
    this.labels = inspection.tokens.map((token) => tokenLabel(token, text));
    this.canvas.setAttribute('aria-label', this.t('matrix.label', inspection.T));
    this.replies.reset(inspection.data);
    this.tooltip.reset(inspection.data);
    this.drawn = undefined;
    this.cursor = null;
    this.zoom.reset(0);
  }

  setTheme(theme: Theme): void {
    this.theme = theme;
  }

  render(state: FocusedViewState): void {
    const { inspection, theme } = this;
    if (!inspection || !theme) return;
    performance.mark('al-matrix-start');
    const { kept, position } = inspection.shown(state.hideSpecial);
    if (this.zoom.n !== kept.length) {
      // A new inspection, or special tokens hidden or shown: the old window means other tokens.
      this.zoom.reset(kept.length);
      this.cursor = null;
    }
    this.kept = kept;
    this.position = position;
    this.zoom.limit(Math.floor(Math.min(this.width, MAX_SIDE) / MAX_CELL));
    this.layOut(theme);
    const choice = inspection.choice(state);
    const request: AttentionRequest = { type: 'matrix', choice, window: this.zoom.window(), cells: Math.max(1, Math.round(this.grid.area * (window.devicePixelRatio || 1))) };
    this.canvas.dataset.cells = String(request.cells);
    const reply = this.replies.get(request);
    const choiceKey = JSON.stringify(choice);
    this.caption.textContent = matrixCaption(this.t, state, this.zoom, kept);
    if (reply?.type === 'matrix') this.drawn = { reply, choice: choiceKey };
    else if (this.drawn?.choice !== choiceKey) this.drawn = undefined;
    this.element.dataset.pending = String(reply === undefined);
    if (reply?.type === 'unavailable') return this.placeholder(theme, reply.reason);
    if (!this.drawn) {
      const waiting = inspection.waitingFor(state);
      const failure = this.replies.failure(request);
      if (waiting !== undefined) this.placeholder(theme, this.t('matrix.waitingLayer', waiting));
      else if (failure !== undefined) this.placeholder(theme, failure);
      else if (state.aggregation === 'rollout') this.placeholder(theme, this.t('matrix.computingRollout'));
      // Otherwise the reply is moments away: the canvas keeps what it shows rather than flash empty.
      return;
    }
    this.draw(state, theme, this.drawn);
    this.notes.show(theme, this.drawn.reply, this.zoom, inspection.hides(state.hideSpecial), inspection.model.causal);
    this.element.dataset.size = String(kept.length);
    performance.measure('attention-lens:matrix', 'al-matrix-start');
  }

  // The gutter for axis labels (when cells can hold them) and the cells' square, from the zoom.
  private layOut(theme: Theme): void {
    const avail = Math.min(this.width, MAX_SIDE);
    const size = Math.max(1, this.zoom.size);
    let gutter = 0;
    if ((avail - 80) / size >= LABEL_CELL) {
      const ctx = this.canvas.getContext('2d')!;
      ctx.font = `11px ${theme.monoFamily}`;
      const { q0, q1, k0, k1 } = this.zoom.window();
      let widest = 0;
      for (const [from, to] of [[q0, q1], [k0, k1]]) {
        for (let p = from; p < to; p++) widest = Math.max(widest, ctx.measureText(this.labels[this.kept[p]]).width);
      }
      gutter = Math.min(110, Math.ceil(widest) + 10);
    }
    const area = Math.max(1, Math.min(avail - gutter, this.zoom.n * MAX_CELL));
    this.grid = { x0: gutter, area, cell: area / size, q: this.zoom.q, k: this.zoom.k, n: this.zoom.n };
    // Where the cells are, for tests and tools that point at a cell (the pixels are not in the DOM).
    this.canvas.dataset.gutter = String(gutter);
    this.canvas.dataset.cell = String(this.grid.cell);
    this.canvas.dataset.window = [this.zoom.q, this.zoom.k, this.zoom.size].join(',');
  }

  private draw(state: FocusedViewState, theme: Theme, drawn: NonNullable<MatrixView['drawn']>): void {
    const g = this.grid;
    const ctx = sizeCanvas(this.canvas, g.x0 + g.area, g.x0 + g.area);
    ctx.fillStyle = cssColor(theme.background);
    ctx.fillRect(0, 0, g.x0 + g.area, g.x0 + g.area);
    if (g.n === 0) return;
    const { reply } = drawn;
    if (!drawn.image || drawn.theme !== theme) {
      drawn.image = heatImage(new Float32Array(reply.values), reply.cols, reply.rows, reply.max, theme.heat);
      drawn.theme = theme;
    }
    const { q0, q1, k0, k1 } = reply.window;
    ctx.save();
    ctx.beginPath();
    ctx.rect(g.x0, g.x0, g.area, g.area);
    ctx.clip();
    // Nearest-neighbour: a zoomed-in cell is a crisp square, and a pooled value is one device pixel.
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(drawn.image, g.x0 + (k0 - g.k) * g.cell, g.x0 + (q0 - g.q) * g.cell, (k1 - k0) * g.cell, (q1 - q0) * g.cell);
    ctx.restore();
    const active = activeToken(state);
    const at = active === null ? -1 : this.position[active];
    if (this.inspection!.model.causal) drawCausalMask(ctx, theme, g);
    if (g.cell >= LABEL_CELL) drawCellBorders(ctx, theme, g);
    if (g.x0 > 0) drawAxisLabels(ctx, theme, g, (p) => this.labels[this.kept[p]], at, `11px ${theme.monoFamily}`);
    drawHighlights(ctx, theme, g, at, state.received, this.cursor);
  }

  private placeholder(theme: Theme, message: string): void {
    drawMessage(this.canvas, theme, message, Math.min(this.width, 320));
    this.tooltip.hide();
    this.notes.pending(message);
  }

  private zoomed(): void {
    this.tooltip.hide();
    this.invalidate();
  }

  private positionAt(x: number, y: number): { q: number; k: number } | undefined {
    const g = this.grid;
    if (x < g.x0 || y < g.x0 || x >= g.x0 + g.area || y >= g.x0 + g.area) return undefined;
    return { q: g.q + (y - g.x0) / g.cell, k: g.k + (x - g.x0) / g.cell };
  }

  private cellAt(x: number, y: number): MatrixCell | null {
    const at = this.drawn && this.positionAt(x, y);
    if (!at) return null;
    const [r, c] = [Math.floor(at.q), Math.floor(at.k)];
    return r < this.grid.n && c < this.grid.n ? { r, c } : null;
  }

  // Where the keyboard cursor starts: the active token's diagonal cell if it is in view, else the
  // window's first cell (focusing must not pan the matrix away from what the reader looks at).
  private firstCell(): MatrixCell {
    const active = activeToken(this.store.get());
    const at = active === null ? -1 : this.position[active];
    const { q0, q1, k0, k1 } = this.zoom.window();
    const inView = at >= q0 && at < q1 && at >= k0 && at < k1;
    return inView ? { r: at, c: at } : { r: q0, c: k0 };
  }

  private hover(cell: MatrixCell | null): void {
    if (!cell) {
      this.cursor = null;
      this.tooltip.hide();
      this.invalidate();
      return;
    }
    this.showCell(cell);
  }

  private showCell(cell: MatrixCell): void {
    const inspection = this.inspection!;
    const same = this.cursor && this.cursor.r === cell.r && this.cursor.c === cell.c;
    this.cursor = cell;
    const [query, key] = [this.kept[cell.r], this.kept[cell.c]];
    const g = this.grid;
    const state = this.store.get();
    const choice = inspection.choice(state);
    const drawn = this.drawn?.choice === JSON.stringify(choice) ? this.drawn.reply : undefined;
    this.tooltip.show(
      {
        cell, choice, query: this.labels[query], key: this.labels[key], masked: inspection.model.causal && key > query,
        x: g.x0 + (cell.c - g.k + 0.5) * g.cell, y: g.x0 + (cell.r - g.q + 0.5) * g.cell, width: this.canvas.clientWidth,
      },
      drawn,
    );
    if (!same) {
      this.store.update({ focus: state.received ? key : query });
      this.invalidate();
    }
  }

  private moveCursor(cell: MatrixCell): void {
    if (this.zoom.reveal(cell.r, cell.c)) {
      // Draw the new window first, so the tooltip sits over the cell where it now is.
      this.invalidate();
      this.layOut(this.theme!);
    }
    this.showCell(cell);
  }

  private lock(cell: MatrixCell): void {
    const token = this.store.get().received ? this.kept[cell.c] : this.kept[cell.r];
    const locked = this.store.get().locked === token ? null : token;
    this.store.update({ locked });
    if (locked !== null) this.onLock(locked);
  }
}
