// Zoom and pan on the matrix with the pointer. Ctrl (⌘ on macOS) + wheel zooms at the pointer, and a
// trackpad pinch arrives as the same wheel events; a plain wheel is left to scroll the panel, which
// holds three views one under the other and must stay scrollable with the pointer over the matrix.
// Dragging pans once zoomed in; a press that does not move stays a click (which locks a token).
import type { MatrixZoom } from './matrixZoom';

/** What the gestures need of the view: where the cells are, and a redraw after a change. */
export interface ZoomSurface {
  readonly zoom: MatrixZoom;
  /** The fractional shown position (row q, column k) under canvas point (x, y) in CSS pixels, if on a cell. */
  positionAt(x: number, y: number): { q: number; k: number } | undefined;
  /** CSS pixels per shown position. */
  cellSize(): number;
  /** The window changed. */
  zoomed(): void;
}

// A press that moves less than this (CSS pixels) is a click.
const DRAG_SLOP = 4;
// Wheel delta (pixels) that doubles or halves the zoom.
const WHEEL_PER_DOUBLING = 300;

export class MatrixGestures {
  private press: { id: number; x: number; y: number; moved: boolean } | undefined;
  private clickIsDrag = false;

  constructor(private readonly canvas: HTMLCanvasElement, private readonly surface: ZoomSurface) {
    canvas.addEventListener('wheel', (event) => this.wheel(event), { passive: false });
    canvas.addEventListener('pointerdown', (event) => {
      if (event.button !== 0) return;
      this.press = { id: event.pointerId, x: event.offsetX, y: event.offsetY, moved: false };
      this.clickIsDrag = false;
    });
    canvas.addEventListener('pointermove', (event) => this.move(event));
    const release = (event: PointerEvent) => {
      if (this.press?.id !== event.pointerId) return;
      this.clickIsDrag = this.press.moved;
      this.press = undefined;
    };
    canvas.addEventListener('pointerup', release);
    canvas.addEventListener('pointercancel', release);
  }

  /** Whether the pointer is dragging the matrix now (hovering then shows nothing). */
  get dragging(): boolean {
    return this.press?.moved ?? false;
  }

  /** Whether the click now being handled ended a drag, and so must not lock a token. */
  takeDragClick(): boolean {
    const drag = this.clickIsDrag;
    this.clickIsDrag = false;
    return drag;
  }

  private wheel(event: WheelEvent): void {
    if (!event.ctrlKey && !event.metaKey) return;
    // Also keeps the webview itself from zooming.
    event.preventDefault();
    const pixels = event.deltaMode === WheelEvent.DOM_DELTA_LINE ? event.deltaY * 16 : event.deltaMode === WheelEvent.DOM_DELTA_PAGE ? event.deltaY * 400 : event.deltaY;
    const at = this.surface.positionAt(event.offsetX, event.offsetY);
    if (this.surface.zoom.zoomBy(2 ** (-pixels / WHEEL_PER_DOUBLING), at?.q, at?.k)) this.surface.zoomed();
  }

  private move(event: PointerEvent): void {
    const press = this.press;
    if (!press || press.id !== event.pointerId) return;
    const [dx, dy] = [event.offsetX - press.x, event.offsetY - press.y];
    if (!press.moved) {
      if (this.surface.zoom.whole || Math.hypot(dx, dy) < DRAG_SLOP) return;
      press.moved = true;
      this.canvas.setPointerCapture(event.pointerId);
    }
    press.x = event.offsetX;
    press.y = event.offsetY;
    const cell = this.surface.cellSize();
    // The picture follows the pointer: dragging right shows columns further left.
    if (this.surface.zoom.panBy(-dy / cell, -dx / cell)) this.surface.zoomed();
  }
}
