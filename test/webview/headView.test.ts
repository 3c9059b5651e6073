// The head view of a long inspection in real Chromium: its canvases cover only the part of the rows
// in view however many tokens there are, and scrolling, hovering and the keyboard still find the
// right row, with its lines drawn where the row is.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { headColor } from '../../webview/palette';
import { feed, settle } from './page';
import { useViewsPage } from './session';
import { hexRgb, HEADS, pixels } from './probes';
import type { SyntheticSpec } from './synthetic';

// Head 0 of the pattern attends from token i to token i-1, head 1 to the first token.
const long = (tokens: number): SyntheticSpec => ({ layers: 1, heads: 2, tokens, causal: true, kind: 'pattern' });

// Keeps every canvas the page creates, on screen or off, so the test can add up their pixels.
const WATCH_CANVASES = `(() => {
  const made = [];
  const create = Document.prototype.createElement;
  Document.prototype.createElement = function (name, options) {
    const element = create.call(this, name, options);
    if (String(name).toLowerCase() === 'canvas') made.push(element);
    return element;
  };
  globalThis.canvasesMade = made;
})();`;

const views = useViewsPage();

/** Where the head view's rows are (published on its canvas) and what its scrolling box shows. */
async function headLayout(page: Page) {
  return page.$eval(HEADS, (el) => {
    const canvas = el as HTMLCanvasElement;
    const scroller = canvas.closest('.al-heads-scroll')!;
    const [pad, rowHeight, top] = canvas.dataset.rows!.split(',').map(Number);
    return {
      pad, rowHeight, top,
      scrollTop: scroller.scrollTop, scrollHeight: scroller.scrollHeight,
      clientWidth: scroller.clientWidth, clientHeight: scroller.clientHeight,
      width: canvas.width, height: canvas.height,
    };
  });
}

/** The [x, y] of every pixel of the head view's canvas within `tolerance` of `rgb`. */
async function pixelsOf(page: Page, rgb: [number, number, number], tolerance = 30): Promise<[number, number][]> {
  return page.$eval(
    HEADS,
    (el, { rgb, tolerance }) => {
      const canvas = el as HTMLCanvasElement;
      const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      const found: [number, number][] = [];
      for (let i = 0; i < data.length; i += 4) {
        if (Math.abs(data[i] - rgb[0]) <= tolerance && Math.abs(data[i + 1] - rgb[1]) <= tolerance && Math.abs(data[i + 2] - rgb[2]) <= tolerance) {
          found.push([(i / 4) % canvas.width, Math.floor(i / 4 / canvas.width)]);
        }
      }
      return found;
    },
    { rgb, tolerance },
  );
}

/** How many pixels of the middle of the head view's canvas, between the token labels, are not background. */
async function linePixels(page: Page): Promise<number> {
  const background = hexRgb('#1f1f1f'); // the harness's dark theme
  return page.$eval(
    HEADS,
    (el, background) => {
      const canvas = el as HTMLCanvasElement;
      const x = Math.round(canvas.width * 0.35);
      const data = canvas.getContext('2d')!.getImageData(x, 0, Math.round(canvas.width * 0.65) - x, canvas.height).data;
      let n = 0;
      for (let i = 0; i < data.length; i += 4) if (Math.abs(data[i] - background[0]) + Math.abs(data[i + 1] - background[1]) + Math.abs(data[i + 2] - background[2]) > 12) n++;
      return n;
    },
    background,
  );
}

/** Scrolls the head view so that `fraction` of what it can scroll is above the view, and waits for the redraw. */
async function scrollHeads(page: Page, fraction: number): Promise<void> {
  await page.$eval('.al-heads-scroll', (el, fraction) => (el.scrollTop = Math.round((el.scrollHeight - el.clientHeight) * fraction)), fraction);
  await settle(page);
}

test('a long inspection draws the head view on canvases no bigger than its box, whatever the length', async () => {
  for (const deviceScaleFactor of [1, 2]) {
    const area: number[] = [];
    for (const tokens of [2048, 4096]) {
      const { page, errors } = await views.open({ deviceScaleFactor, beforeLoad: WATCH_CANVASES });
      await feed(page, long(tokens));
      const at = `${tokens} tokens at ${deviceScaleFactor}× pixels`;
      const layout = await headLayout(page);
      assert.equal(layout.scrollHeight, layout.pad * 2 + tokens * layout.rowHeight, `${at}: the box scrolls through every token's row`);
      assert.ok(layout.height <= Math.ceil(layout.clientHeight * deviceScaleFactor), `${at}: the canvas is ${layout.height} px tall, the box shows ${layout.clientHeight} CSS px`);
      assert.ok(layout.width <= Math.ceil(layout.clientWidth * deviceScaleFactor), `${at}: the canvas is ${layout.width} px wide, the box ${layout.clientWidth} CSS px`);
      // Off screen too (the all-lines picture kept for when the pointer leaves a token): every
      // canvas the page made fits in the window.
      const made = await page.evaluate(() => (globalThis as unknown as { canvasesMade: HTMLCanvasElement[] }).canvasesMade.map((c) => [c.width, c.height]));
      const [windowWidth, windowHeight] = await page.evaluate(() => [innerWidth * devicePixelRatio, innerHeight * devicePixelRatio]);
      for (const [w, h] of made) assert.ok(w <= windowWidth && h <= windowHeight, `${at}: a ${w}×${h} canvas in a ${windowWidth}×${windowHeight} window`);
      area.push(made.reduce((sum, [w, h]) => sum + w * h, 0));
      // The token in the middle of the rows, focused from the editor, has its lines drawn.
      await scrollHeads(page, 0.5);
      const middle = await headLayout(page);
      const row = Math.floor((middle.top + middle.clientHeight / 2 - middle.pad) / middle.rowHeight);
      await page.evaluate((row) => window.harness.app!.highlightToken(row), row);
      await settle(page);
      const drawn = await linePixels(page);
      assert.ok(drawn > 300 * deviceScaleFactor, `${at}: the lines of token ${row}, in the middle, are drawn (${drawn} pixels between the labels)`);
      assert.deepEqual(errors, []);
      await page.close();
    }
    assert.ok(area[1] <= area[0], `the page's canvases hold ${area[0]} pixels at 2048 tokens and ${area[1]} at 4096 (${deviceScaleFactor}×)`);
  }
});

test('scrolled to the middle of a long inspection, hovering a row focuses its token and draws its lines from that row', async () => {
  const { page, errors } = await views.open();
  const spec = long(4096);
  await feed(page, spec);
  const drawings = () => page.evaluate(() => performance.getEntriesByName('attention-lens:head-view').length);
  const before = await drawings();
  // Several scroll steps within one frame make one drawing.
  await page.$eval('.al-heads-scroll', (el) => {
    for (let step = 1; step <= 10; step++) el.scrollTop = step * 0.05 * (el.scrollHeight - el.clientHeight);
  });
  await settle(page);
  await settle(page);
  assert.equal((await drawings()) - before, 1, 'one drawing for the frame the view scrolled in');
  const { pad, rowHeight, top, scrollTop, clientHeight } = await headLayout(page);
  assert.ok(scrollTop > 1000, `scrolled well down (${scrollTop} px)`);
  assert.equal(top, Math.round(scrollTop), 'the canvas shows the rows scrolled into view');

  // The row at the middle of the box, and the pointer on it.
  const row = Math.floor((top + clientHeight / 2 - pad) / rowHeight);
  const rowY = pad + (row + 0.5) * rowHeight - top;
  const box = (await page.locator(HEADS).boundingBox())!;
  await page.mouse.move(box.x + 40, box.y + rowY);
  await settle(page);
  const hovered = await page.evaluate(() => window.harness.posted.filter((m) => m.type === 'hoverToken').at(-1));
  assert.deepEqual(hovered, { type: 'hoverToken', index: row }, 'the editor is told to highlight the token of the row under the pointer');
  const active = await page.evaluate(() => [...document.querySelectorAll('.al-token')].findIndex((span) => span.classList.contains('al-active')));
  assert.equal(active, row, 'the token strip marks the same token');

  // Head 0's one line runs from the hovered row on the left to the row above it on the right.
  const line = await pixelsOf(page, hexRgb(headColor(0)));
  assert.ok(line.length > 50, `head 0's line is drawn (${line.length} pixels)`);
  const left = Math.min(...line.map(([x]) => x));
  const right = Math.max(...line.map(([x]) => x));
  const ysAt = (x: number) => line.filter(([px]) => px === x).map(([, y]) => y);
  for (const y of ysAt(left)) assert.ok(Math.abs(y + 0.5 - rowY) <= 1.5, `its left end is on the hovered row (y ${y}, the row's centre ${rowY})`);
  for (const y of ysAt(right)) assert.ok(Math.abs(y + 0.5 - (rowY - rowHeight)) <= 1.5, `its right end is on the row above (y ${y}, that row's centre ${rowY - rowHeight})`);
  // Head 1's line goes to the first token, thousands of rows above: it crosses the top of the view.
  // (A steep line 1.5 px wide covers no pixel of the edge wholly: a wider tolerance.)
  const topEdge = (await pixelsOf(page, hexRgb(headColor(1)), 64)).filter(([, y]) => y === 0);
  assert.ok(topEdge.length > 0, 'the line to a row above the view is drawn up to its top edge');
  assert.deepEqual(errors, []);
  await page.close();
});

test('arrowing down past the bottom of the head view scrolls the row into view and shows it focused', async () => {
  const { page } = await views.open();
  const spec = long(48);
  await feed(page, spec);
  await page.locator(HEADS).focus();
  const target = 30;
  for (let i = 0; i < target; i++) await page.keyboard.press('ArrowDown');
  await settle(page);
  const hovered = await page.evaluate(() => window.harness.posted.filter((m) => m.type === 'hoverToken').at(-1));
  assert.deepEqual(hovered, { type: 'hoverToken', index: target });
  const { pad, rowHeight, top, scrollTop, clientHeight } = await headLayout(page);
  const rowTop = pad + target * rowHeight;
  assert.ok(scrollTop > 0 && rowTop >= scrollTop && rowTop + rowHeight <= scrollTop + clientHeight, `row ${target} (${rowTop}–${rowTop + rowHeight}) is in view (${scrollTop}–${scrollTop + clientHeight})`);
  assert.equal(top, Math.round(scrollTop));
  // The focused row's label cell is tinted with the theme's focus colour; the row above is not.
  const [focused, above] = [await pixels(page, HEADS, 2, rowTop + rowHeight / 2 - top, 1, 1), await pixels(page, HEADS, 2, rowTop - rowHeight / 2 - top, 1, 1)];
  const focusBlue = hexRgb('#0078d4')[2];
  assert.ok(Math.abs(focused[2] - focusBlue) < Math.abs(above[2] - focusBlue) - 30, `the focused row is tinted (${focused.slice(0, 3)}), the one above not (${above.slice(0, 3)})`);
  await page.close();
});

test('a short inspection is the whole picture, with nothing to scroll', async () => {
  const { page } = await views.open();
  const tokens = 12;
  await feed(page, long(tokens));
  const { pad, rowHeight, top, scrollHeight, clientHeight, height } = await headLayout(page);
  assert.equal(scrollHeight, clientHeight, 'the box does not scroll');
  assert.deepEqual([top, height], [0, pad * 2 + tokens * rowHeight], 'the canvas holds every row from the top');
  await page.close();
});

test('leaving a token after scrolling shows the all-lines picture of the rows now in view', async () => {
  const { page } = await views.open();
  await feed(page, long(200));
  // The canvas's pixels as one FNV-1a hash: equal pictures, equal hashes.
  const picture = () => page.$eval(HEADS, (el) => {
    const canvas = el as HTMLCanvasElement;
    const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    let hash = 0x811c9dc5;
    for (let i = 0; i < data.length; i++) hash = Math.imul(hash ^ data[i], 0x01000193);
    return `${canvas.width}×${canvas.height}:${(hash >>> 0).toString(16)}`;
  });
  await scrollHeads(page, 0.5);
  const middle = await picture();
  await scrollHeads(page, 0);
  const first = await picture();
  assert.notEqual(first, middle, 'the top and the middle of the rows look different');
  // Hover a token at the top, scroll to the middle with it still active, then leave.
  const box = (await page.locator(HEADS).boundingBox())!;
  await page.mouse.move(box.x + 40, box.y + 60);
  await settle(page);
  assert.notEqual(await picture(), first, 'the hovered token shows only its lines');
  await scrollHeads(page, 0.5);
  await page.mouse.move(5, 5);
  await settle(page);
  assert.equal(await page.evaluate(() => window.harness.posted.filter((m) => m.type === 'hoverToken').at(-1)?.index), null, 'no token is active');
  assert.equal(await picture(), middle, 'the middle of the rows, with all their lines');
  await page.close();
});

test('Export View as PNG of a long inspection\'s head view holds every row, not only those in view', async () => {
  const { page, errors } = await views.open();
  const tokens = 4096;
  await feed(page, long(tokens));
  const { pad, rowHeight, clientHeight } = await headLayout(page);
  const background = hexRgb('#1f1f1f'); // the harness's dark theme
  const whole = pad * 2 + tokens * rowHeight;
  // The last token, far below the box, focused from the editor: head 0's line goes to the row above
  // it, head 1's up to the first token, across every row.
  await page.evaluate((row) => window.harness.app!.highlightToken(row), tokens - 1);
  await settle(page);
  // Per band of rows of the exported image (the box's height each), how many pixels between the
  // token labels are not background: the lines crossing it.
  const exported = await page.evaluate(async ({ background, band }) => {
    const png = await window.harness.app!.renderPng('heads');
    const image = await createImageBitmap(new Blob([png.data], { type: 'image/png' }));
    const canvas = document.createElement('canvas');
    canvas.width = image.width;
    canvas.height = image.height;
    const ctx = canvas.getContext('2d')!;
    ctx.drawImage(image, 0, 0);
    // Between the label columns (as wide as the view draws them, and a little more).
    const x = Math.ceil(Math.min(canvas.width * 0.3, 140)) + 10;
    const width = canvas.width - 2 * x;
    const data = ctx.getImageData(x, 0, width, canvas.height).data;
    const bands = new Array<number>(Math.ceil(canvas.height / band)).fill(0);
    for (let i = 0; i < data.length; i += 4) {
      if (Math.abs(data[i] - background[0]) + Math.abs(data[i + 1] - background[1]) + Math.abs(data[i + 2] - background[2]) > 12) bands[Math.floor(i / 4 / width / band)]++;
    }
    return { width: png.width, height: png.height, imageHeight: image.height, bands };
  }, { background, band: clientHeight });
  assert.equal(exported.height, whole, `the image is as tall as every row (${whole} px), not the ${clientHeight}-px box`);
  assert.equal(exported.imageHeight, exported.height, 'the PNG decodes to the size it says');
  const empty = exported.bands.map((n, i) => [i, n]).filter(([, n]) => n === 0).map(([i]) => i);
  assert.deepEqual(empty, [], `every band of rows has lines drawn in the image (${exported.bands.length} bands of ${clientHeight} px)`);
  // The page's own canvas stays the size of its box.
  const after = await headLayout(page);
  assert.ok(after.height <= Math.ceil(after.clientHeight), `the view's canvas is still ${after.height} px tall`);
  assert.deepEqual(errors, []);
  await page.close();
});
