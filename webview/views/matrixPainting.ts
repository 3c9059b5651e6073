// What the matrix view draws over its heatmap: the causal mask, cell borders, axis labels and the
// outlines of the active row (or column) and the cell under the pointer or keyboard cursor. Each is
// drawn for the part of the matrix the view shows (zoomed and panned), clipped to the cells' square.
import type { Theme } from '../theme';
import { cssColor } from './color';
import { fitText, sizeCanvas } from './hiDpiCanvas';

/**
 * Where the cells are: the cells' square starts at (x0, x0) and is `area` CSS pixels across; shown
 * position (row r, column c) of the n × n matrix has its top-left corner at
 * (x0 + (c − k)·cell, x0 + (r − q)·cell).
 */
export interface MatrixGrid {
  x0: number;
  area: number;
  cell: number;
  q: number;
  k: number;
  n: number;
}

/** A cell by row (query) and column (key) in the shown matrix. */
export interface MatrixCell {
  r: number;
  c: number;
}

const hatches = new WeakMap<Theme, CanvasPattern | null>();

const columnX = (g: MatrixGrid, c: number) => g.x0 + (c - g.k) * g.cell;
const rowY = (g: MatrixGrid, r: number) => g.x0 + (r - g.q) * g.cell;

/** The rows (or columns, from `start`) at least partly inside the square: [first, end). */
function visible(g: MatrixGrid, start: number): [number, number] {
  return [Math.max(0, Math.floor(start)), Math.min(g.n, Math.ceil(start + g.area / g.cell))];
}

function clipToCells(ctx: CanvasRenderingContext2D, g: MatrixGrid): void {
  ctx.beginPath();
  ctx.rect(g.x0, g.x0, g.area, g.area);
  ctx.clip();
}

/**
 * Hatches the cells a causal model cannot attend to (key after query): a staircase above the
 * diagonal. A zero there means "cannot look", not "chose not to look", so it must not read as a
 * low weight.
 */
export function drawCausalMask(ctx: CanvasRenderingContext2D, theme: Theme, g: MatrixGrid): void {
  if (g.n < 2) return;
  if (!hatches.has(theme)) hatches.set(theme, hatchPattern(ctx, theme));
  const [r0, r1] = visible(g, g.q);
  const right = Math.max(g.x0 + g.area, columnX(g, r1 + 1)) + 1;
  ctx.save();
  clipToCells(ctx, g);
  ctx.beginPath();
  ctx.moveTo(columnX(g, r0 + 1), rowY(g, r0));
  for (let r = r0; r < r1; r++) {
    ctx.lineTo(columnX(g, r + 1), rowY(g, r + 1));
    ctx.lineTo(columnX(g, r + 2), rowY(g, r + 1));
  }
  ctx.lineTo(right, rowY(g, r1));
  ctx.lineTo(right, rowY(g, r0));
  ctx.closePath();
  ctx.fillStyle = cssColor(theme.muted, theme.highContrast ? 0.25 : 0.12);
  ctx.fill();
  const hatch = hatches.get(theme);
  if (hatch) {
    ctx.fillStyle = hatch;
    ctx.fill();
  }
  ctx.restore();
}

/** Thin background-coloured lines between cells, when cells are big enough to need them. */
export function drawCellBorders(ctx: CanvasRenderingContext2D, theme: Theme, g: MatrixGrid): void {
  const end = g.x0 + g.area;
  ctx.strokeStyle = cssColor(theme.background);
  ctx.lineWidth = 1;
  ctx.beginPath();
  const [c0, c1] = visible(g, g.k);
  for (let c = c0 + 1; c < c1; c++) {
    const x = Math.round(columnX(g, c)) + 0.5;
    if (x <= g.x0 || x >= end) continue;
    ctx.moveTo(x, g.x0);
    ctx.lineTo(x, end);
  }
  const [r0, r1] = visible(g, g.q);
  for (let r = r0 + 1; r < r1; r++) {
    const y = Math.round(rowY(g, r)) + 0.5;
    if (y <= g.x0 || y >= end) continue;
    ctx.moveTo(g.x0, y);
    ctx.lineTo(end, y);
  }
  ctx.stroke();
}

/**
 * Token labels left of the shown rows and (rotated) above the shown columns, `label(position)`
 * giving each one's text; the active position's in full colour.
 */
export function drawAxisLabels(ctx: CanvasRenderingContext2D, theme: Theme, g: MatrixGrid, label: (position: number) => string, active: number, font: string): void {
  const end = g.x0 + g.area;
  ctx.font = font;
  ctx.textBaseline = 'middle';
  const [r0, r1] = visible(g, g.q);
  ctx.textAlign = 'right';
  for (let r = r0; r < r1; r++) {
    const y = rowY(g, r + 0.5);
    if (y < g.x0 || y > end) continue;
    ctx.fillStyle = cssColor(r === active ? theme.foreground : theme.muted);
    ctx.fillText(fitText(ctx, label(r), g.x0 - 8), g.x0 - 5, y);
  }
  const [c0, c1] = visible(g, g.k);
  ctx.textAlign = 'left';
  for (let c = c0; c < c1; c++) {
    const x = columnX(g, c + 0.5);
    if (x < g.x0 || x > end) continue;
    ctx.fillStyle = cssColor(c === active ? theme.foreground : theme.muted);
    ctx.save();
    ctx.translate(x, g.x0 - 5);
    ctx.rotate(-Math.PI / 2);
    ctx.fillText(fitText(ctx, label(c), g.x0 - 8), 0, 0);
    ctx.restore();
  }
}

/** Outlines the active position's row (its column with `received`) and the cursor's cell. */
export function drawHighlights(ctx: CanvasRenderingContext2D, theme: Theme, g: MatrixGrid, active: number, received: boolean, cursor: MatrixCell | null): void {
  ctx.save();
  ctx.beginPath();
  // A little past the square, so outlines along its edges stay whole.
  ctx.rect(g.x0 - 3, g.x0 - 3, g.area + 6, g.area + 6);
  ctx.clip();
  ctx.lineWidth = theme.highContrast ? 2 : 1.5;
  // A row or cell narrower than a few pixels (a zoomed-out long input) is outlined a few pixels wide.
  const least = (at: number, size: number): [number, number] => (size >= 3 ? [at, size] : [at + size / 2 - 1.5, 3]);
  if (active >= 0) {
    ctx.strokeStyle = cssColor(theme.focus);
    if (received) {
      const [x, w] = least(columnX(g, active), g.cell);
      ctx.strokeRect(x, g.x0, w, g.area);
    } else {
      const [y, h] = least(rowY(g, active), g.cell);
      ctx.strokeRect(g.x0, y, g.area, h);
    }
  }
  if (cursor) {
    ctx.strokeStyle = cssColor(theme.foreground);
    const [x, w] = least(columnX(g, cursor.c), g.cell);
    const [y, h] = least(rowY(g, cursor.r), g.cell);
    ctx.strokeRect(x - 1, y - 1, w + 2, h + 2);
  }
  ctx.restore();
}

/** Instead of the matrix: `message`, word-wrapped (a reason from the attention data can be a long sentence). */
export function drawMessage(canvas: HTMLCanvasElement, theme: Theme, message: string, width: number): void {
  const ctx = sizeCanvas(canvas, width, 120);
  ctx.fillStyle = cssColor(theme.background);
  ctx.fillRect(0, 0, width, 120);
  ctx.fillStyle = cssColor(theme.muted);
  ctx.font = `12px ${theme.fontFamily}`;
  ctx.textBaseline = 'middle';
  const lines = [''];
  for (const word of message.split(' ')) {
    const line = lines[lines.length - 1] ? `${lines[lines.length - 1]} ${word}` : word;
    if (lines[lines.length - 1] && ctx.measureText(line).width > width - 16) lines.push(word);
    else lines[lines.length - 1] = line;
  }
  lines.slice(0, 6).forEach((line, i, shown) => ctx.fillText(line, 8, 60 + (i - (shown.length - 1) / 2) * 16));
}

// Diagonal stripes in the muted text colour: visible on any background, and distinct from the heat
// ramp, which never uses stripes.
function hatchPattern(ctx: CanvasRenderingContext2D, theme: Theme): CanvasPattern | null {
  const tile = document.createElement('canvas');
  tile.width = tile.height = 8;
  const t = tile.getContext('2d')!;
  t.strokeStyle = cssColor(theme.muted, theme.highContrast ? 0.9 : 0.45);
  t.lineWidth = 1.5;
  t.beginPath();
  for (const offset of [-8, 0, 8]) {
    t.moveTo(offset, 8);
    t.lineTo(offset + 8, 0);
  }
  t.stroke();
  return ctx.createPattern(tile, 'repeat');
}
