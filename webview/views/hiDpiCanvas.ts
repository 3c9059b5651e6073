// Canvases sized in CSS pixels but backed by device pixels, so lines and text stay sharp on HiDPI
// screens. Sizes are only written when they change: each write resets the canvas and may relayout.

/** Sizes `canvas` to cssWidth × cssHeight CSS pixels and returns a context that draws in CSS pixels. */
export function sizeCanvas(canvas: HTMLCanvasElement, cssWidth: number, cssHeight: number): CanvasRenderingContext2D {
  const dpr = window.devicePixelRatio || 1;
  const width = Math.max(1, Math.round(cssWidth * dpr));
  const height = Math.max(1, Math.round(cssHeight * dpr));
  if (canvas.width !== width) canvas.width = width;
  if (canvas.height !== height) canvas.height = height;
  const w = `${Math.round(cssWidth)}px`;
  const h = `${Math.round(cssHeight)}px`;
  if (canvas.style.width !== w) canvas.style.width = w;
  if (canvas.style.height !== h) canvas.style.height = h;
  const ctx = canvas.getContext('2d')!;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  return ctx;
}

/** An off-screen canvas of exactly width × height pixels (reused when the size matches). */
export function scratchCanvas(existing: HTMLCanvasElement | undefined, width: number, height: number): HTMLCanvasElement {
  const canvas = existing ?? document.createElement('canvas');
  if (canvas.width !== width) canvas.width = Math.max(1, width);
  if (canvas.height !== height) canvas.height = Math.max(1, height);
  return canvas;
}

/** Text truncated with an ellipsis to fit `maxWidth` in the context's current font. */
export function fitText(ctx: CanvasRenderingContext2D, text: string, maxWidth: number): string {
  if (ctx.measureText(text).width <= maxWidth) return text;
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (ctx.measureText(text.slice(0, mid) + '…').width <= maxWidth) lo = mid;
    else hi = mid - 1;
  }
  return text.slice(0, lo) + '…';
}

/** Calls `onWidth` with an element's content width (whole pixels) each time it changes to a non-zero value. */
export function watchWidth(element: Element, onWidth: (width: number) => void): void {
  let last = 0;
  new ResizeObserver((entries) => {
    const width = Math.floor(entries[0].contentRect.width);
    // Zero while the panel is hidden: keep the last layout rather than drawing into nothing.
    if (width > 0 && width !== last) {
      last = width;
      onWidth(width);
    }
  }).observe(element);
}
