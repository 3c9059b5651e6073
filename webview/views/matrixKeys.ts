// The matrix by keyboard. Arrows move the cell cursor (the window pans to keep it in view), Enter or
// Space locks its query token, Esc unlocks; + and − zoom in and out around the cursor, Shift + arrows
// pan the window by a quarter of its width, 0 shows the whole matrix again. The keys are plain, not
// Ctrl + and Ctrl −, which the editor keeps for zooming its whole window.
import type { MatrixCell } from './matrixPainting';
import type { MatrixZoom } from './matrixZoom';

/** What the keys act on. */
export interface MatrixKeyTarget {
  /** Shown positions along a side. */
  size(): number;
  cursor(): MatrixCell;
  /** CSS pixels per shown position. */
  cellSize(): number;
  moveCursor(cell: MatrixCell): void;
  lock(cell: MatrixCell): void;
  unlock(): void;
  /** The window changed. */
  zoomed(): void;
}

const MOVES: Record<string, [number, number]> = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
const ZOOM_STEP = 2;

export class MatrixKeys {
  constructor(private readonly zoom: MatrixZoom, private readonly target: MatrixKeyTarget) {}

  onKey(event: KeyboardEvent): void {
    const n = this.target.size();
    if (n === 0 || event.ctrlKey || event.metaKey || event.altKey) return;
    const move = MOVES[event.key];
    if (move && event.shiftKey) {
      event.preventDefault();
      const step = Math.max(1, Math.round(this.zoom.size / 4));
      if (this.zoom.panBy(move[0] * step, move[1] * step)) {
        this.zoom.snap();
        this.target.zoomed();
      }
    } else if (move) {
      event.preventDefault();
      const cursor = this.target.cursor();
      // Zoomed out past one cell per pixel, a step is a pixel's worth of cells, so the cursor visibly moves.
      const step = Math.max(1, Math.round(1 / this.target.cellSize()));
      const clamp = (v: number) => Math.max(0, Math.min(n - 1, v));
      this.target.moveCursor({ r: clamp(cursor.r + move[0] * step), c: clamp(cursor.c + move[1] * step) });
    } else if (event.key === '+' || event.key === '=' || event.key === '-' || event.key === '_') {
      event.preventDefault();
      const cursor = this.target.cursor();
      const factor = event.key === '+' || event.key === '=' ? ZOOM_STEP : 1 / ZOOM_STEP;
      if (this.zoom.zoomBy(factor, cursor.r + 0.5, cursor.c + 0.5)) {
        this.zoom.snap();
        this.target.zoomed();
      }
    } else if (event.key === '0') {
      event.preventDefault();
      if (!this.zoom.whole) {
        this.zoom.zoomBy(0);
        this.target.zoomed();
      }
    } else if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      this.target.lock(this.target.cursor());
    } else if (event.key === 'Escape') {
      event.preventDefault();
      this.target.unlock();
    }
  }
}
