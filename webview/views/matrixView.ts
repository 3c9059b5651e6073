// The query × key heatmap. The matrix is painted once per (matrix, theme) into an off-screen canvas
// at one pixel per cell through the colour table; hover and focus only redraw the scaled copy and a
// few outlines on top. Causal models get their upper triangle hatched, since a zero there means
// "cannot look", not "chose not to look".
import { activeToken, type FocusedViewState, type ViewStateStore } from '../state';
import type { Theme } from '../theme';
import { isReady, type AttentionSource, type ShownMatrix } from './attentionSource';
import { cssColor } from './color';
import { cellText, tokenLabel } from './format';
import { paintHeat } from './heatmap';
import { scratchCanvas, sizeCanvas, watchWidth } from './hiDpiCanvas';
import { drawAxisLabels, drawCausalMask, drawCellBorders, drawHighlights } from './matrixPainting';
import { heatLegend } from './legend';
import type { MatrixCell } from './matrixPainting';
import type { Translate } from './strings';

const MAX_SIDE = 640;
const MAX_CELL = 36;
// Token labels along the axes only when a cell is tall enough to hold a line of text.
const LABEL_CELL = 12;

type Cell = MatrixCell;

export class MatrixView {
  readonly element: HTMLElement;
  private readonly caption: HTMLElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly tooltip: HTMLElement;
  private readonly notes: HTMLElement;
  private readonly legend: HTMLElement;
  private width = MAX_SIDE;
  private source?: AttentionSource;
  private labels: string[] = [];
  private theme?: Theme;
  private image?: HTMLCanvasElement;
  private painted?: { shown: ShownMatrix; theme: Theme };
  private shown?: ShownMatrix;
  private layout = { gutter: 0, cell: 1 };
  private cursor: Cell | null = null;
  private legendFor?: { theme: Theme; key: string };

  constructor(
    private readonly store: ViewStateStore,
    private readonly t: Translate,
    private readonly invalidate: () => void,
    private readonly needRollout: () => void,
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
    this.tooltip = document.createElement('div');
    this.tooltip.className = 'al-tooltip';
    this.tooltip.setAttribute('role', 'status');
    this.tooltip.hidden = true;
    wrap.append(this.canvas, this.tooltip);
    this.legend = document.createElement('div');
    this.legend.className = 'al-legend-row';
    this.notes = document.createElement('div');
    this.notes.className = 'al-notes';
    this.element.append(title, this.caption, axes, wrap, this.legend, this.notes);

    watchWidth(wrap, (width) => {
      this.width = width;
      this.invalidate();
    });
    this.canvas.addEventListener('pointermove', (event) => this.hover(this.cellAt(event.offsetX, event.offsetY), event.offsetX, event.offsetY));
    this.canvas.addEventListener('pointerleave', () => {
      this.cursor = null;
      this.tooltip.hidden = true;
      store.update({ focus: null });
      this.invalidate();
    });
    this.canvas.addEventListener('click', (event) => {
      const cell = this.cellAt(event.offsetX, event.offsetY);
      if (cell) this.lock(cell);
    });
    this.canvas.addEventListener('focus', () => {
      if (!this.shown || this.cursor) return;
      const active = activeToken(store.get());
      const at = active === null ? 0 : Math.max(0, this.shown.position[active]);
      this.moveCursor({ r: at, c: at });
    });
    this.canvas.addEventListener('blur', () => {
      this.tooltip.hidden = true;
      this.cursor = null;
      this.invalidate();
    });
    this.canvas.addEventListener('keydown', (event) => this.onKey(event));
  }

  setInspection(source: AttentionSource, text?: string): void {
    this.source = source;
    this.labels = source.tokens.map((token) => tokenLabel(token, text));
    this.canvas.setAttribute('aria-label', this.t('matrix.label', source.T));
    this.painted = undefined;
    this.cursor = null;
  }

  setTheme(theme: Theme): void {
    this.theme = theme;
  }

  render(state: FocusedViewState): void {
    const { source, theme } = this;
    if (!source || !theme) return;
    performance.mark('al-matrix-start');
    this.caption.textContent =
      state.aggregation === 'head' ? this.t('matrix.caption.head', state.layer, state.head)
      : state.aggregation === 'rollout' ? this.t('matrix.caption.rollout', state.layer)
      : this.t(`matrix.caption.${state.aggregation}`, state.layer);
    const shown = source.matrix(state);
    if (!isReady(shown)) {
      this.shown = undefined;
      this.tooltip.hidden = true;
      const message = shown.pending === 'rollout' ? this.t('matrix.computingRollout') : this.t('matrix.waitingLayer', shown.layer);
      this.placeholder(theme, message);
      if (shown.pending === 'rollout') this.needRollout();
      return;
    }
    if (this.shown !== shown) this.cursor = null;
    this.shown = shown;
    const n = shown.size;
    const roomy = (Math.min(this.width, MAX_SIDE) - 80) / Math.max(1, n) >= LABEL_CELL;
    const font = `11px ${theme.monoFamily}`;
    let gutter = 0;
    const ctxProbe = this.canvas.getContext('2d')!;
    if (roomy) {
      ctxProbe.font = font;
      gutter = Math.min(110, Math.ceil(Math.max(...shown.kept.map((i) => ctxProbe.measureText(this.labels[i]).width))) + 10);
    }
    const area = Math.max(1, Math.min(Math.min(this.width, MAX_SIDE) - gutter, n * MAX_CELL));
    const cell = area / Math.max(1, n);
    this.layout = { gutter, cell };
    // Where the cells are, for tests and tools that point at a cell (the pixels are not in the DOM).
    this.canvas.dataset.gutter = String(gutter);
    this.canvas.dataset.cell = String(cell);
    const ctx = sizeCanvas(this.canvas, gutter + area, gutter + area);
    ctx.fillStyle = cssColor(theme.background);
    ctx.fillRect(0, 0, gutter + area, gutter + area);
    if (n > 0) {
      if (this.painted?.shown !== shown || this.painted.theme !== theme) this.paintImage(shown, theme);
      // Nearest-neighbour when enlarging keeps cell edges crisp; smoothing when shrinking averages.
      ctx.imageSmoothingEnabled = cell < 1;
      ctx.drawImage(this.image!, gutter, gutter, area, area);
      const grid = { x0: gutter, cell, n };
      const active = activeToken(state);
      if (source.model.causal) drawCausalMask(ctx, theme, grid);
      if (cell >= LABEL_CELL) drawCellBorders(ctx, theme, grid);
      if (gutter > 0) drawAxisLabels(ctx, theme, grid, shown.kept.map((token) => this.labels[token]), active === null ? -1 : shown.position[active], font);
      drawHighlights(ctx, theme, grid, active === null ? -1 : shown.position[active], state.received, this.cursor);
    }
    const legendKey = `${shown.max}`;
    if (this.legendFor?.theme !== theme || this.legendFor.key !== legendKey) {
      this.legendFor = { theme, key: legendKey };
      this.legend.replaceChildren(...heatLegend(theme, shown.max, this.t));
    }
    const notes: string[] = [];
    if (shown.renormalised) notes.push(this.t('matrix.renormalised'));
    if (source.model.causal) notes.push(this.t('matrix.causal'));
    if (this.notes.dataset.text !== notes.join('\n')) {
      this.notes.dataset.text = notes.join('\n');
      this.notes.replaceChildren(...notes.map((text) => Object.assign(document.createElement('p'), { className: 'al-note', textContent: text })));
    }
    this.element.dataset.size = String(n);
    performance.measure('attention-lens:matrix', 'al-matrix-start');
  }

  private paintImage(shown: ShownMatrix, theme: Theme): void {
    const n = shown.size;
    this.image = scratchCanvas(this.image, n, n);
    const ctx = this.image.getContext('2d')!;
    const image = ctx.createImageData(n, n);
    paintHeat(shown.values, n, shown.max, theme.heat, image);
    ctx.putImageData(image, 0, 0);
    this.painted = { shown, theme };
  }

  private placeholder(theme: Theme, message: string): void {
    const side = Math.min(this.width, 320);
    const ctx = sizeCanvas(this.canvas, side, 120);
    ctx.fillStyle = cssColor(theme.background);
    ctx.fillRect(0, 0, side, 120);
    ctx.fillStyle = cssColor(theme.muted);
    ctx.font = `12px ${theme.fontFamily}`;
    ctx.textBaseline = 'middle';
    ctx.fillText(message, 8, 60);
    this.legend.replaceChildren();
    this.legendFor = undefined;
    this.notes.dataset.text = message;
    this.notes.replaceChildren(Object.assign(document.createElement('p'), { className: 'al-note al-pending', textContent: message }));
  }

  private cellAt(x: number, y: number): Cell | null {
    const n = this.shown?.size ?? 0;
    const { gutter, cell } = this.layout;
    const c = Math.floor((x - gutter) / cell);
    const r = Math.floor((y - gutter) / cell);
    return r >= 0 && c >= 0 && r < n && c < n ? { r, c } : null;
  }

  private hover(cell: Cell | null, x: number, y: number): void {
    if (!cell) {
      this.cursor = null;
      this.tooltip.hidden = true;
      this.invalidate();
      return;
    }
    this.showCell(cell, x, y);
  }

  private showCell(cell: Cell, x: number, y: number): void {
    const shown = this.shown!;
    const same = this.cursor && this.cursor.r === cell.r && this.cursor.c === cell.c;
    this.cursor = cell;
    const [query, key] = [shown.kept[cell.r], shown.kept[cell.c]];
    const masked = this.source!.model.causal && key > query ? ` (${this.t('matrix.masked')})` : '';
    this.tooltip.textContent = cellText(this.labels[query], this.labels[key], shown.values[cell.r * shown.size + cell.c], masked);
    this.tooltip.hidden = false;
    // Beside the pointer, flipped to the left near the right edge so it stays inside the panel.
    const flip = x > this.width * 0.6;
    this.tooltip.style.left = flip ? '' : `${x + 14}px`;
    this.tooltip.style.right = flip ? `${this.canvas.clientWidth - x + 14}px` : '';
    this.tooltip.style.top = `${y + 14}px`;
    if (!same) {
      this.store.update({ focus: this.store.get().received ? key : query });
      this.invalidate();
    }
  }

  private moveCursor(cell: Cell): void {
    const { gutter, cell: size } = this.layout;
    this.showCell(cell, gutter + (cell.c + 0.5) * size, gutter + (cell.r + 0.5) * size);
  }

  private lock(cell: Cell): void {
    const shown = this.shown!;
    const token = this.store.get().received ? shown.kept[cell.c] : shown.kept[cell.r];
    const locked = this.store.get().locked === token ? null : token;
    this.store.update({ locked });
    if (locked !== null) this.onLock(locked);
  }

  private onKey(event: KeyboardEvent): void {
    const n = this.shown?.size ?? 0;
    if (n === 0) return;
    const cursor = this.cursor ?? { r: 0, c: 0 };
    const moves: Record<string, [number, number]> = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
    const move = moves[event.key];
    if (move) {
      event.preventDefault();
      const clamp = (v: number) => Math.max(0, Math.min(n - 1, v));
      this.moveCursor({ r: clamp(cursor.r + move[0]), c: clamp(cursor.c + move[1]) });
    } else if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      this.lock(cursor);
    } else if (event.key === 'Escape') {
      event.preventDefault();
      this.store.update({ locked: null });
    }
  }
}
