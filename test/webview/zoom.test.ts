// The matrix for inputs longer than its canvas: it asks for the matrix pooled to its pixels, shows the
// strongest cell, reads exact weights into its tooltip, and zooms and pans (keyboard, Ctrl + wheel,
// drag), asking each time for the window it shows.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { selectHead } from '../../src/attention/index';
import type { AttentionRequest, MatrixWindow } from '../../src/protocol';
import { formatWeight } from '../../webview/views/format';
import { feed, settle } from './page';
import { useViewsPage } from './session';
import { hoverPosition, MATRIX, matrixLayout } from './probes';
import { syntheticLayer, syntheticText, type SyntheticSpec } from './synthetic';

const LONG: SyntheticSpec = { layers: 1, heads: 2, tokens: 2000, causal: false, kind: 'random' };
const T = LONG.tokens;

const views = useViewsPage();
const head0 = selectHead(syntheticLayer(LONG, 0), LONG.heads, T, 0);
const words = syntheticText(LONG).tokens.map((t) => t.text);

type MatrixRequest = Extract<AttentionRequest, { type: 'matrix' }>;

/** The last matrix the view asked for (not a tooltip's single cell). */
async function lastMatrixRequest(page: Page): Promise<MatrixRequest> {
  const requests = await page.evaluate(() => window.harness.requests().map((r) => r.request));
  const matrices = requests.filter((r): r is MatrixRequest => r.type === 'matrix' && r.cells > 1);
  assert.ok(matrices.length > 0, 'the matrix asked for something');
  return matrices[matrices.length - 1];
}

/** Waits until the matrix shows the reply to the window it asked for last. */
async function shown(page: Page): Promise<MatrixWindow> {
  await settle(page);
  await page.locator('.al-matrix[data-pending="false"]').waitFor();
  return (await lastMatrixRequest(page)).window!;
}

const side = (w: MatrixWindow) => w.q1 - w.q0;

async function openLong(): Promise<{ page: Page; errors: string[] }> {
  const opened = await views.open();
  await feed(opened.page, LONG);
  await opened.page.locator(`.al-matrix[data-size="${T}"][data-pending="false"]`).waitFor();
  return opened;
}

test('2000 tokens: the matrix asks for its canvas pixels, pooled, and shows the strongest cell', async () => {
  const { page, errors } = await openLong();
  const request = await lastMatrixRequest(page);
  const canvas = await page.$eval(MATRIX, (el) => ({ width: (el as HTMLCanvasElement).width, height: (el as HTMLCanvasElement).height }));
  const { gutter } = await matrixLayout(page);
  assert.equal(gutter, 0, 'no room for labels at 2000 tokens');
  assert.equal(request.cells, canvas.width, 'one value per device pixel (scale 1 here)');
  assert.equal(canvas.width, canvas.height);
  assert.ok(request.cells < T);
  assert.deepEqual(request.window, { q0: 0, q1: T, k0: 0, k1: T });
  assert.match(await page.locator('.al-matrix .al-notes').innerText(), /strongest of about 3\.\d × 3\.\d cells/);

  // The strongest weight of the head falls in one pooled pixel, which must be the hottest drawn.
  let best = 0;
  for (let i = 1; i < head0.length; i++) if (head0[i] > head0[best]) best = i;
  const [r, c] = [Math.floor(best / T), best % T];
  const brightest = await page.$eval(MATRIX, (el, { x, y }) => {
    const canvas = el as HTMLCanvasElement;
    const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    const light = (i: number) => data[i] + data[i + 1] + data[i + 2];
    let most = 0;
    for (let i = 0; i < data.length; i += 4) most = Math.max(most, light(i));
    let around = 0;
    for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) around = Math.max(around, light(((y + dy) * canvas.width + x + dx) * 4));
    return { most, around };
  }, { x: Math.floor(((c + 0.5) * request.cells) / T), y: Math.floor(((r + 0.5) * request.cells) / T) });
  assert.equal(brightest.around, brightest.most, `the pixel of cell (${r}, ${c}) is as hot as any`);
  await page.screenshot({ path: 'test-results/webview-pooled-2000.png' });
  assert.deepEqual(errors, []);
  await page.close();
});

test('the tooltip over a pooled pixel reads the exact weight of the cell under the pointer', async () => {
  const { page, errors } = await openLong();
  const box = (await page.locator(MATRIX).boundingBox())!;
  await page.mouse.move(box.x + 301.5, box.y + 187.5);
  const tooltip = page.locator('.al-matrix .al-tooltip');
  await tooltip.waitFor({ state: 'visible' });
  const [r, c] = await tooltip.evaluate((el) => [Number((el as HTMLElement).dataset.row), Number((el as HTMLElement).dataset.column)]);
  assert.ok(Math.abs(c - (301.5 * T) / box.width) < 2 && Math.abs(r - (187.5 * T) / box.height) < 2, `cell (${r}, ${c}) is under the pointer`);
  assert.equal(await tooltip.textContent(), `${words[r]} → ${words[c]}: ${formatWeight(head0[r * T + c])}`);
  const single = (await page.evaluate(() => window.harness.requests().map((x) => x.request))).filter((x) => x.type === 'matrix' && x.cells === 1);
  assert.deepEqual((single.at(-1) as MatrixRequest).window, { q0: r, q1: r + 1, k0: c, k1: c + 1 }, 'the one cell was asked for');
  assert.deepEqual(errors, []);
  await page.close();
});

test('+ and −, Ctrl + wheel, drag and Shift + arrows zoom and pan the window asked for; 0 shows all', async () => {
  const { page, errors } = await openLong();
  await page.locator(MATRIX).focus();
  await page.keyboard.press('+');
  let seen = await shown(page);
  assert.deepEqual(seen, { q0: 0, q1: T / 2, k0: 0, k1: T / 2 }, '+ doubles around the cursor, in the corner');
  assert.equal(await page.locator('.al-matrix .al-caption').textContent(), 'Layer 0, head 0 · queries 0–999 × keys 0–999, zoomed 2×');

  // Ctrl + wheel zooms at the pointer: the position under it stays under it.
  const box = (await page.locator(MATRIX).boundingBox())!;
  const before = await matrixLayout(page);
  const pointer = { x: box.width * 0.75, y: box.height * 0.25 };
  const under = (l: Awaited<ReturnType<typeof matrixLayout>>) => ({ q: l.q + (pointer.y - l.gutter) / l.cell, k: l.k + (pointer.x - l.gutter) / l.cell });
  await page.mouse.move(box.x + pointer.x, box.y + pointer.y);
  await page.keyboard.down('Control');
  await page.mouse.wheel(0, -300);
  await page.keyboard.up('Control');
  seen = await shown(page);
  const after = await matrixLayout(page);
  assert.ok(Math.abs(side(seen) - T / 4) <= 1, `a notch of 300 px doubles again: ${JSON.stringify(seen)}`);
  assert.ok(Math.abs(under(after).q - under(before).q) < 1 && Math.abs(under(after).k - under(before).k) < 1, 'the pointer’s cell stays put');

  // Dragging left and up shows columns further right and rows further down, and locks nothing.
  const start = await matrixLayout(page);
  await page.mouse.down();
  await page.mouse.move(box.x + pointer.x - 120, box.y + pointer.y - 60, { steps: 6 });
  await page.mouse.up();
  seen = await shown(page);
  const dragged = await matrixLayout(page);
  assert.ok(Math.abs(dragged.k - start.k - 120 / start.cell) < 0.5 && Math.abs(dragged.q - start.q - 60 / start.cell) < 0.5, 'the picture follows the pointer');
  assert.equal(seen.k0, Math.floor(dragged.k));
  assert.equal((await page.evaluate(() => window.harness.app!.getState())).locked, null, 'a drag is not a click');

  await page.locator(MATRIX).focus();
  await page.keyboard.press('Shift+ArrowRight');
  const panned = await shown(page);
  assert.ok(panned.k0 - seen.k0 >= side(seen) / 4 - 1, 'Shift + → pans a quarter of the seen');

  // Zoomed in far enough, the seen is asked for cell for cell and the tooltip reads it.
  for (let i = 0; i < 4; i++) await page.keyboard.press('+');
  seen = await shown(page);
  const request = await lastMatrixRequest(page);
  assert.ok(side(seen) <= request.cells, `${side(seen)} positions in ${request.cells} pixels: not pooled`);
  assert.match(await page.locator('.al-matrix .al-notes').innerText(), /Zoomed in: drag/);
  const [r, c] = [seen.q0 + 2, seen.k0 + 3];
  assert.equal(await hoverPosition(page, r, c), `${words[r]} → ${words[c]}: ${formatWeight(head0[r * T + c])}`);
  await page.screenshot({ path: 'test-results/webview-zoomed.png' });

  await page.locator(MATRIX).focus();
  await page.keyboard.press('-');
  assert.ok(side(await shown(page)) > side(seen), '− zooms out');
  await page.keyboard.press('0');
  assert.deepEqual(await shown(page), { q0: 0, q1: T, k0: 0, k1: T }, '0 shows the whole matrix');
  assert.equal(await page.locator('.al-matrix .al-caption').textContent(), 'Layer 0, head 0');
  assert.deepEqual(errors, []);
  await page.close();
});
