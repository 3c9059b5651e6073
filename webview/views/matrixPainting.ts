// What the matrix view draws over its heatmap: the causal mask, cell borders, axis labels and the
// outlines of the active row (or column) and the cell under the pointer or keyboard cursor.
import type { Theme } from '../theme';
import { cssColor } from './color';
import { fitText } from './hiDpiCanvas';

/** Where the cells are: n×n cells of `cell` CSS pixels, starting at (x0, x0). */
export interface MatrixGrid {
  x0: number;
  cell: number;
  n: number;
}

/** A cell by row (query) and column (key) in the shown matrix. */
export interface MatrixCell {
  r: number;
  c: number;
}

const hatches = new WeakMap<Theme, CanvasPattern | null>();

/**
 * Hatches the cells a causal model cannot attend to (key after query): a staircase above the
 * diagonal. A zero there means "cannot look", not "chose not to look", so it must not read as a
 * low weight.
 */
export function drawCausalMask(ctx: CanvasRenderingContext2D, theme: Theme, { x0, cell, n }: MatrixGrid): void {
  if (n < 2) return;
  if (!hatches.has(theme)) hatches.set(theme, hatchPattern(ctx, theme));
  ctx.beginPath();
  ctx.moveTo(x0 + cell, x0);
  for (let r = 0; r < n - 1; r++) {
    ctx.lineTo(x0 + (r + 1) * cell, x0 + (r + 1) * cell);
    ctx.lineTo(x0 + (r + 2) * cell, x0 + (r + 1) * cell);
  }
  ctx.lineTo(x0 + n * cell, x0);
  ctx.closePath();
  ctx.fillStyle = cssColor(theme.muted, theme.highContrast ? 0.25 : 0.12);
  ctx.fill();
  const hatch = hatches.get(theme);
  if (hatch) {
    ctx.fillStyle = hatch;
    ctx.fill();
  }
}

/** Thin background-coloured lines between cells, when cells are big enough to need them. */
export function drawCellBorders(ctx: CanvasRenderingContext2D, theme: Theme, { x0, cell, n }: MatrixGrid): void {
  ctx.strokeStyle = cssColor(theme.background);
  ctx.lineWidth = 1;
  ctx.beginPath();
  for (let i = 1; i < n; i++) {
    const at = Math.round(x0 + i * cell) + 0.5;
    ctx.moveTo(at, x0);
    ctx.lineTo(at, x0 + n * cell);
    ctx.moveTo(x0, at);
    ctx.lineTo(x0 + n * cell, at);
  }
  ctx.stroke();
}

/** Token labels left of the rows and (rotated) above the columns; the active one in full colour. */
export function drawAxisLabels(ctx: CanvasRenderingContext2D, theme: Theme, { x0, cell }: MatrixGrid, labels: string[], active: number, font: string): void {
  ctx.font = font;
  ctx.textBaseline = 'middle';
  labels.forEach((text, i) => {
    const label = fitText(ctx, text, x0 - 8);
    ctx.fillStyle = cssColor(i === active ? theme.foreground : theme.muted);
    ctx.textAlign = 'right';
    ctx.fillText(label, x0 - 5, x0 + (i + 0.5) * cell);
    ctx.save();
    ctx.translate(x0 + (i + 0.5) * cell, x0 - 5);
    ctx.rotate(-Math.PI / 2);
    ctx.textAlign = 'left';
    ctx.fillText(label, 0, 0);
    ctx.restore();
  });
}

/** Outlines the active token's row (its column with `received`) and the cursor's cell. */
export function drawHighlights(
  ctx: CanvasRenderingContext2D,
  theme: Theme,
  { x0, cell, n }: MatrixGrid,
  active: number,
  received: boolean,
  cursor: MatrixCell | null,
): void {
  ctx.lineWidth = theme.highContrast ? 2 : 1.5;
  if (active >= 0) {
    ctx.strokeStyle = cssColor(theme.focus);
    if (received) ctx.strokeRect(x0 + active * cell, x0, cell, n * cell);
    else ctx.strokeRect(x0, x0 + active * cell, n * cell, cell);
  }
  if (cursor) {
    ctx.strokeStyle = cssColor(theme.foreground);
    ctx.strokeRect(x0 + cursor.c * cell - 1, x0 + cursor.r * cell - 1, cell + 2, cell + 2);
  }
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
