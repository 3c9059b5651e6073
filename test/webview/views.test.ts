// The head view and the model view in real Chromium: toggling heads, and picking a layer and head
// from the thumbnails, which every other view must follow.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { headColor } from '../../webview/palette';
import { feed, settle } from './page';
import { useViewsPage } from './session';
import { countColour, hexRgb, HEADS, hoverCell, MODEL, pixels, thumbnailCentre } from './probes';
import type { SyntheticSpec } from './synthetic';

const SPEC: SyntheticSpec = { layers: 3, heads: 4, tokens: 12, causal: false, kind: 'pattern' };

const views = useViewsPage();

test('turning a head off removes its lines from the head view, and on again brings them back', async () => {
  const { page, errors } = await views.open();
  await feed(page, SPEC);
  const headPixels = (h: number) => countColour(page, HEADS, hexRgb(headColor(h)), 30);
  const head1 = await headPixels(1);
  assert.ok(head1 > 100, `head 1's colour is drawn (${head1} pixels)`);
  await page.locator('.al-head-toggle vscode-checkbox', { hasText: 'Head 1' }).click();
  await settle(page);
  assert.equal(await page.$eval('.al-heads', (el) => (el as HTMLElement).dataset.heads), '0,2,3');
  assert.ok((await headPixels(1)) < head1 / 20, 'head 1 is gone');
  assert.ok((await headPixels(0)) > 100, 'head 0 is still there');
  assert.deepEqual((await page.evaluate(() => window.harness.app!.getState())).hiddenHeads, [1]);
  await page.screenshot({ path: 'test-results/webview-head-toggle.png', fullPage: true });
  await page.locator('.al-head-toggle vscode-checkbox', { hasText: 'Head 1' }).click();
  await settle(page);
  assert.ok((await headPixels(1)) > head1 * 0.9, 'head 1 is back');
  assert.deepEqual(errors, []);
  await page.close();
});

test('hovering a token in the head view shows only its lines', async () => {
  const { page } = await views.open();
  await feed(page, SPEC);
  const head0 = () => countColour(page, HEADS, hexRgb(headColor(0)), 30);
  const everyToken = await head0();
  const box = (await page.locator(HEADS).boundingBox())!;
  // Rows are 20 px under an 8 px pad: row 5 is "jumps".
  await page.mouse.move(box.x + 40, box.y + 8 + 5.5 * 20);
  await settle(page);
  assert.equal(await page.evaluate(() => document.querySelector('.al-token.al-active')?.textContent), 'jumps', 'the strip follows the head view');
  const oneToken = await head0();
  assert.ok(oneToken > 0 && oneToken < everyToken / 4, `one line of head 0 left (${everyToken} → ${oneToken} pixels)`);
  await page.close();
});

test('clicking a thumbnail selects its layer and head in every other view', async () => {
  const { page } = await views.open();
  await feed(page, SPEC);
  const { x, y } = await thumbnailCentre(page, 2, 3);
  await page.mouse.click(x, y);
  await settle(page);
  const state = await page.evaluate(() => window.harness.app!.getState());
  assert.equal(state.layer, 2);
  assert.equal(state.head, 3);
  assert.equal(await page.locator('.al-toolbar vscode-single-select').nth(0).evaluate((el) => (el as HTMLElement & { value: string }).value), '2');
  assert.equal(await page.locator('.al-toolbar vscode-single-select').nth(1).evaluate((el) => (el as HTMLElement & { value: string }).value), '3');
  assert.equal(await page.locator('.al-matrix .al-caption').textContent(), 'Layer 2, head 3');
  assert.match((await page.locator('.al-heads .al-caption').textContent()) ?? '', /^Layer 2:/);
  // Layer 2 puts 0.7 on the pattern's key; head 3 looks at the next token: 0.7 + 0.3/12.
  assert.equal(await hoverCell(page, 4, 5), 'fox → jumps: 0.725');
  // The selection outline moved: the focus colour now frames thumbnail (2, 3).
  const side = Number(await page.$eval(MODEL, (el) => (el as HTMLElement).dataset.side));
  const box = (await page.locator(MODEL).boundingBox())!;
  const frame = await pixels(page, MODEL, x - box.x - side / 2 - 2, y - box.y, 1, 1);
  assert.deepEqual(frame.slice(0, 3), hexRgb('#0078d4'), 'the harness theme’s focus border frames the selection');
  await page.close();
});

test('the model view is usable by keyboard: arrows move, Enter selects', async () => {
  const { page } = await views.open();
  await feed(page, SPEC);
  await page.locator(MODEL).focus();
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  assert.equal((await page.evaluate(() => window.harness.app!.getState())).layer, 0, 'arrows only move the cursor');
  await page.keyboard.press('Enter');
  const state = await page.evaluate(() => window.harness.app!.getState());
  assert.deepEqual([state.layer, state.head], [1, 2]);
  await page.close();
});
