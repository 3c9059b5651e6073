// A tall picture in a scrolling box, drawn on a canvas only as big as the box's visible area: the
// canvas sticks to the top of the scrollport over a spacer as tall as the whole picture, so the box
// scrolls through every row as if the picture were there, while the canvas's pixels (a few hundred
// rows of them) stay the same at any length. A canvas as tall as 4096 rows would be tens of
// megabytes, and past 32 767 device pixels Chromium draws nothing on it at all.
import { sizeCanvas } from './hiDpiCanvas';

/** The part of the picture the canvas shows: its top in picture pixels, and its height. */
export interface PictureSlice {
  top: number;
  height: number;
}

export class ViewportCanvas {
  readonly scroller: HTMLElement;
  readonly canvas: HTMLCanvasElement;
  private readonly spacer: HTMLElement;
  private pictureHeight = 0;
  private drawn: PictureSlice = { top: 0, height: 0 };

  /** `onMoved` is called when scrolling or resizing shows a part of the picture not drawn yet. */
  constructor(className: string, onMoved: () => void) {
    this.scroller = document.createElement('div');
    this.scroller.className = className;
    this.spacer = document.createElement('div');
    this.spacer.className = 'al-viewport-spacer';
    this.canvas = document.createElement('canvas');
    this.spacer.append(this.canvas);
    this.scroller.append(this.spacer);
    const moved = () => {
      if (this.moved()) onMoved();
    };
    this.scroller.addEventListener('scroll', moved, { passive: true });
    new ResizeObserver(moved).observe(this.scroller);
  }

  /**
   * Makes the scrolling box as tall as a `width` × `height` picture and the canvas the size of the
   * part in view; returns a context that draws in picture pixels (clipped to that part) and the part.
   */
  draw(width: number, height: number): { ctx: CanvasRenderingContext2D; slice: PictureSlice } {
    const tall = `${Math.round(height)}px`;
    if (this.spacer.style.height !== tall) this.spacer.style.height = tall;
    this.pictureHeight = Math.round(height);
    const slice = this.slice();
    const ctx = sizeCanvas(this.canvas, width, slice.height);
    ctx.translate(0, -slice.top);
    this.drawn = slice;
    return { ctx, slice };
  }

  /** Whether the part of the picture in view is not the part last drawn. */
  moved(): boolean {
    const next = this.slice();
    return next.top !== this.drawn.top || next.height !== this.drawn.height;
  }

  /** The picture's y under a pointer event's offsetY on the canvas, as last drawn. */
  pictureY(offsetY: number): number {
    return offsetY + this.drawn.top;
  }

  /** The part of the picture in view now: where the sticky canvas sits at this scroll offset. */
  private slice(): PictureSlice {
    const full = this.pictureHeight;
    // Zero while the box is hidden: then as much as it can show, so the picture is there when it returns.
    const visible = this.scroller.clientHeight || parseFloat(getComputedStyle(this.scroller).maxHeight) || full;
    const height = Math.min(full, visible);
    const top = Math.max(0, Math.min(full - height, Math.round(this.scroller.scrollTop)));
    return { top, height };
  }
}
