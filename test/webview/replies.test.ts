// The views draw from replies, and only from the ones they still want: the strip's tint is the row
// reply for the active token, and a reply that comes late (the pointer moved on, another head was
// picked, another inspection started) is dropped, whatever order replies arrive in.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { feed, settle } from './page';
import { useViewsPage } from './session';
import { argmax, cellColour, hoverCell, tokenBackgrounds } from './probes';
import type { SyntheticSpec } from './synthetic';

// Head 0 of the pattern attends from token i to token i-1, head 1 to the first token, head 2 to itself.
const SPEC: SyntheticSpec = { layers: 2, heads: 4, tokens: 14, causal: false, kind: 'pattern' };
const OTHER: SyntheticSpec = { layers: 2, heads: 4, tokens: 9, causal: false, kind: 'pattern' };

const views = useViewsPage();

const alphas = async (page: Page) => (await tokenBackgrounds(page)).map((c) => (c[3] === 1 && c[0] + c[1] + c[2] === 0 ? 0 : c[3]));

/** Indices (into harness.requests()) of the held requests that match `match`. */
async function heldWhere(page: Page, match: { type: string; token?: number; head?: number }): Promise<number[]> {
  return page.evaluate((match) => window.harness.requests().flatMap((r, i) => {
    const request = r.request as { type: string; token?: number; choice?: { head: number } };
    const ok = r.held && request.type === match.type && (match.token === undefined || request.token === match.token) && (match.head === undefined || request.choice?.head === match.head);
    return ok ? [i] : [];
  }), match);
}

test('the strip tints from the row reply for the active token, once it arrives', async () => {
  const { page, errors } = await views.open();
  await feed(page, SPEC);
  await page.evaluate(() => window.harness.hold());
  await page.locator('.al-token').nth(7).hover();
  const [row] = await heldWhere(page, { type: 'row', token: 7 });
  assert.ok(row !== undefined, 'the strip asked for token 7’s row');
  assert.deepEqual(await page.evaluate((i) => window.harness.requests()[i].request, row), {
    type: 'row', choice: { layer: 0, aggregation: 'head', head: 0, hideSpecial: false }, token: 7, received: false,
  });
  assert.ok((await alphas(page)).every((a) => a === 0), 'no tint before the reply');
  await page.evaluate((i) => window.harness.release([i]), row);
  assert.equal(argmax(await alphas(page)), 6, 'token 7 attends to token 6 under head 0');
  assert.deepEqual(errors, []);
  await page.close();
});

test('a row that comes after the pointer moved on is dropped', async () => {
  const { page, errors } = await views.open();
  await feed(page, SPEC);
  await page.evaluate(() => window.harness.hold());
  await page.locator('.al-token').nth(3).hover();
  await page.locator('.al-token').nth(10).hover();
  const [early] = await heldWhere(page, { type: 'row', token: 3 });
  const [late] = await heldWhere(page, { type: 'row', token: 10 });
  assert.equal(await page.evaluate((i) => window.harness.requests()[i].aborted, early), true, 'token 3’s request was given up');
  // Token 10's row arrives first, then token 3's, which must not repaint the tints.
  await page.evaluate(([a, b]) => window.harness.release([a, b]), [late, early]);
  await settle(page);
  assert.equal(argmax(await alphas(page)), 9);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a matrix for a head no longer picked, or for an earlier inspection, is dropped', async () => {
  const { page, errors } = await views.open();
  await feed(page, SPEC);
  await page.evaluate(() => window.harness.hold());
  const pick = (head: number) => page.evaluate(async (head) => {
    window.harness.app!.setState({ ...window.harness.app!.getState(), head });
    await window.harness.frame();
  }, head);
  await pick(1);
  await pick(2);
  const [first] = await heldWhere(page, { type: 'matrix', head: 1 });
  const [second] = await heldWhere(page, { type: 'matrix', head: 2 });
  await page.evaluate(([a, b]) => window.harness.release([a, b]), [second, first]);
  await settle(page);
  assert.equal(await page.locator('.al-matrix .al-caption').textContent(), 'Layer 0, head 2');
  // Head 2 looks at the token itself (hot diagonal); head 1's first column must not be what is drawn.
  assert.notDeepEqual(await cellColour(page, 6, 6), await cellColour(page, 6, 0), 'the diagonal is hot, the first column is not');
  assert.equal(await hoverCell(page, 6, 6), 'over → over: 0.907');
  await page.mouse.move(1, 1);

  // Replies for the first inspection, released after the second has started, change nothing.
  await page.evaluate(() => window.harness.hold());
  await pick(3);
  await feed(page, OTHER);
  await page.evaluate(() => window.harness.release());
  await page.locator(`.al-matrix[data-size="${OTHER.tokens}"][data-pending="false"]`).waitFor();
  await settle(page);
  assert.equal(await page.locator('.al-matrix').getAttribute('data-size'), String(OTHER.tokens));
  assert.equal(await page.locator('.al-token').count(), OTHER.tokens);
  await page.screenshot({ path: 'test-results/webview-stale-replies.png', fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});
