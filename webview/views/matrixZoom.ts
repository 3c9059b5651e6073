// Which part of the shown matrix the matrix view shows: a square of `size` positions whose top-left
// corner is query row `q`, key column `k`. Positions are fractional so that zooming keeps the point
// under the pointer still and dragging moves the picture with the pointer, even when a cell is many
// pixels wide; the window asked for is the whole positions that cover it. Rows and columns pan apart,
// since what a reader looks for is often far off the diagonal (late queries attending to the first
// tokens). Pure state, no DOM: the view maps it to pixels.
import type { MatrixWindow } from '../../src/protocol';

export class MatrixZoom {
  /** Shown positions along each side of the matrix. */
  n = 0;
  q = 0;
  k = 0;
  size = 0;
  private minSize = 1;

  /** Shows the whole of an n × n matrix; zooming stops at `minSize` positions across. */
  reset(n: number, minSize = this.minSize): void {
    this.n = n;
    this.minSize = Math.max(1, Math.min(n, minSize));
    this.q = this.k = 0;
    this.size = n;
  }

  /** Changes how few positions may be shown across (the canvas got wider or narrower). */
  limit(minSize: number): void {
    this.minSize = Math.max(1, Math.min(this.n, minSize));
    if (this.size < this.minSize) this.zoomBy(this.size / this.minSize);
  }

  /** How many times the matrix is enlarged: 1 when all of it is shown. */
  get factor(): number {
    return this.size > 0 ? this.n / this.size : 1;
  }

  get whole(): boolean {
    return this.size >= this.n;
  }

  /**
   * Enlarges by `factor` (below 1 shrinks), keeping fractional position (atQ, atK) where it is on
   * screen (the centre of the window when not given). Returns whether anything changed.
   */
  zoomBy(factor: number, atQ = this.q + this.size / 2, atK = this.k + this.size / 2): boolean {
    const size = Math.max(this.minSize, Math.min(this.n, this.size / factor));
    if (size === this.size) return false;
    const scale = size / this.size;
    this.size = size;
    this.q = atQ - (atQ - this.q) * scale;
    this.k = atK - (atK - this.k) * scale;
    this.clamp();
    return true;
  }

  /** Moves the window by dq rows and dk columns (fractional); returns whether it moved. */
  panBy(dq: number, dk: number): boolean {
    const [q, k] = [this.q, this.k];
    this.q += dq;
    this.k += dk;
    this.clamp();
    return q !== this.q || k !== this.k;
  }

  /** Pans the least that brings cell (r, c) wholly into the window; returns whether it moved. */
  reveal(r: number, c: number): boolean {
    const shift = (start: number, at: number) => (at < start ? at - start : at + 1 > start + this.size ? at + 1 - this.size - start : 0);
    return this.panBy(shift(this.q, r), shift(this.k, c));
  }

  /** Aligns the window on whole positions (keyboard steps), so it shows no sliver of a cell at its edges. */
  snap(): void {
    this.size = Math.max(this.minSize, Math.min(this.n, Math.round(this.size)));
    this.q = Math.round(this.q);
    this.k = Math.round(this.k);
    this.clamp();
  }

  /** The whole positions covering the window: what to ask for. */
  window(): MatrixWindow {
    const cover = (start: number) => [Math.max(0, Math.floor(start + 1e-9)), Math.min(this.n, Math.ceil(start + this.size - 1e-9))];
    const [q0, q1] = cover(this.q);
    const [k0, k1] = cover(this.k);
    return { q0, q1, k0, k1 };
  }

  private clamp(): void {
    const most = Math.max(0, this.n - this.size);
    this.q = Math.max(0, Math.min(most, this.q));
    this.k = Math.max(0, Math.min(most, this.k));
  }
}
