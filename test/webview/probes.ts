// Reading what a user would see: tooltip text, computed token colours and canvas pixels. The canvases
// publish where their cells are (data-gutter/data-cell, data-side/data-origin) so tests can point at one.
import type { Page } from 'playwright-core';

export const MATRIX = '.al-matrix canvas';
export const HEADS = '.al-heads canvas';
export const MODEL = '.al-model canvas';

/** Moves the mouse over matrix cell (row r, column c) and returns the tooltip's text. */
export async function hoverCell(page: Page, r: number, c: number): Promise<string> {
  const box = (await page.locator(MATRIX).boundingBox())!;
  const { gutter, cell } = await page.$eval(MATRIX, (el) => ({ gutter: Number((el as HTMLElement).dataset.gutter), cell: Number((el as HTMLElement).dataset.cell) }));
  await page.mouse.move(box.x + gutter + (c + 0.5) * cell, box.y + gutter + (r + 0.5) * cell);
  const tooltip = page.locator('.al-matrix .al-tooltip');
  await tooltip.waitFor({ state: 'visible' });
  return (await tooltip.textContent()) ?? '';
}

/** The page-space centre of model-view thumbnail (layer, head). */
export async function thumbnailCentre(page: Page, layer: number, head: number): Promise<{ x: number; y: number }> {
  const box = (await page.locator(MODEL).boundingBox())!;
  const { side, origin } = await page.$eval(MODEL, (el) => ({ side: Number((el as HTMLElement).dataset.side), origin: (el as HTMLElement).dataset.origin! }));
  const [left, top, gap] = origin.split(',').map(Number);
  return { x: box.x + left + head * (side + gap) + side / 2, y: box.y + top + layer * (side + gap) + side / 2 };
}

/** RGBA bytes of a rectangle of a canvas, in canvas pixels (CSS pixels at the tests' scale of 1). */
export async function pixels(page: Page, selector: string, x: number, y: number, w: number, h: number): Promise<number[]> {
  return page.$eval(
    selector,
    (el, r) => Array.from((el as HTMLCanvasElement).getContext('2d')!.getImageData(r.x, r.y, r.w, r.h).data),
    { x: Math.round(x), y: Math.round(y), w, h },
  );
}

/** The RGB of the matrix cell (row r, column c) at its centre. */
export async function cellColour(page: Page, r: number, c: number): Promise<[number, number, number]> {
  const { gutter, cell } = await page.$eval(MATRIX, (el) => ({ gutter: Number((el as HTMLElement).dataset.gutter), cell: Number((el as HTMLElement).dataset.cell) }));
  const [red, green, blue] = await pixels(page, MATRIX, gutter + (c + 0.5) * cell, gutter + (r + 0.5) * cell, 1, 1);
  return [red, green, blue];
}

/** Each token's computed background as [r, g, b, alpha]. */
export async function tokenBackgrounds(page: Page): Promise<[number, number, number, number][]> {
  return page.$$eval('.al-token', (spans) =>
    spans.map((span) => {
      const m = getComputedStyle(span).backgroundColor.match(/[\d.]+/g)!.map(Number);
      return [m[0], m[1], m[2], m.length > 3 ? m[3] : 1] as [number, number, number, number];
    }),
  );
}

/** Index of the largest number (first on ties). */
export function argmax(values: number[]): number {
  return values.reduce((best, v, i) => (v > values[best] ? i : best), 0);
}

/** How many pixels of a whole canvas lie within `tolerance` (per channel) of `rgb`, counted in the page. */
export async function countColour(page: Page, selector: string, rgb: [number, number, number], tolerance = 24): Promise<number> {
  return page.$eval(
    selector,
    (el, { rgb, tolerance }) => {
      const canvas = el as HTMLCanvasElement;
      const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      let n = 0;
      for (let i = 0; i < data.length; i += 4) {
        if (Math.abs(data[i] - rgb[0]) <= tolerance && Math.abs(data[i + 1] - rgb[1]) <= tolerance && Math.abs(data[i + 2] - rgb[2]) <= tolerance) n++;
      }
      return n;
    },
    { rgb, tolerance },
  );
}

/** Parses '#rrggbb'. */
export function hexRgb(hex: string): [number, number, number] {
  return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [number, number, number];
}

/** Where the matrix shows its cells: the gutter, a cell's CSS size and the window (first row, first column, positions across). */
export async function matrixLayout(page: Page): Promise<{ gutter: number; cell: number; q: number; k: number; size: number; cells: number }> {
  return page.$eval(MATRIX, (el) => {
    const data = (el as HTMLElement).dataset;
    const [q, k, size] = data.window!.split(',').map(Number);
    return { gutter: Number(data.gutter), cell: Number(data.cell), q, k, size, cells: Number(data.cells) };
  });
}

/** Moves the mouse over shown position (row r, column c) of a zoomed or pooled matrix; returns the tooltip's text. */
export async function hoverPosition(page: Page, r: number, c: number): Promise<string> {
  const box = (await page.locator(MATRIX).boundingBox())!;
  const { gutter, cell, q, k } = await matrixLayout(page);
  await page.mouse.move(box.x + gutter + (c + 0.5 - k) * cell, box.y + gutter + (r + 0.5 - q) * cell);
  const tooltip = page.locator(`.al-matrix .al-tooltip[data-row="${r}"][data-column="${c}"]`);
  await tooltip.waitFor({ state: 'visible' });
  return (await tooltip.textContent()) ?? '';
}
