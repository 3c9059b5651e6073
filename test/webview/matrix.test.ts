// The matrix view in real Chromium: the tooltip's value, the causal mask, hiding special tokens with
// renormalised rows, and the aggregations, each checked against the attention maths in src/attention.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { hideTokens, maxOverHeads, meanOverHeads, rollout, selectHead } from '../../src/attention/index';
import { formatWeight } from '../../webview/views/format';
import { feed, settle } from './page';
import { useViewsPage } from './session';
import { cellColour, hoverCell, MATRIX, pixels } from './probes';
import { syntheticLayer, syntheticText, type SyntheticSpec } from './synthetic';

const BIDIRECTIONAL: SyntheticSpec = { layers: 2, heads: 4, tokens: 12, causal: false, kind: 'pattern' };
const CAUSAL: SyntheticSpec = { layers: 2, heads: 8, tokens: 12, causal: true, kind: 'pattern' };

const views = useViewsPage();

const labels = (spec: SyntheticSpec) => syntheticText(spec).tokens.map((t) => t.text);

async function choose(page: Page, picker: number, option: string): Promise<void> {
  await page.locator('.al-toolbar vscode-single-select').nth(picker).click();
  await page.getByRole('option', { name: option, exact: true }).click();
  await settle(page);
}

test('the tooltip reads "query → key: value" with the value of the hovered cell', async () => {
  const { page, errors } = await views.open();
  await feed(page, BIDIRECTIONAL);
  const head0 = selectHead(syntheticLayer(BIDIRECTIONAL, 0), 4, 12, 0);
  const words = labels(BIDIRECTIONAL);
  for (const [r, c] of [[3, 2], [3, 7], [0, 0], [11, 10]]) {
    assert.equal(await hoverCell(page, r, c), `${words[r]} → ${words[c]}: ${formatWeight(head0[r * 12 + c])}`);
  }
  assert.equal(await hoverCell(page, 3, 2), 'brown → quick: 0.908');
  await page.screenshot({ path: 'test-results/webview-tooltip.png', fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

test('a causal model has its upper triangle hatched; a bidirectional one does not', async () => {
  const { page } = await views.open();
  const maskVariety = async () => {
    const { gutter, cell } = await page.$eval(MATRIX, (el) => ({ gutter: Number((el as HTMLElement).dataset.gutter), cell: Number((el as HTMLElement).dataset.cell) }));
    await page.mouse.move(1, 1);
    await settle(page);
    // Inside cells of row 2 right of column 7: above the diagonal, where a causal model's weights are 0.
    const colours = new Set<string>();
    for (const c of [8, 9, 10]) {
      const data = await pixels(page, MATRIX, gutter + c * cell + 3, gutter + 2 * cell + 3, Math.floor(cell) - 6, Math.floor(cell) - 6);
      for (let i = 0; i < data.length; i += 4) colours.add(`${data[i] >> 3},${data[i + 1] >> 3},${data[i + 2] >> 3}`);
    }
    return colours.size;
  };
  await feed(page, CAUSAL);
  assert.ok((await maskVariety()) >= 3, 'stripes: several distinct colours in masked cells');
  const below = await cellColour(page, 8, 2);
  const above = await cellColour(page, 2, 8);
  assert.notDeepEqual(above, below, 'a masked cell does not look like a visible low-weight cell');
  assert.match(await page.locator('.al-matrix .al-notes').innerText(), /Hatched: masked/);
  assert.match(await hoverCell(page, 2, 8), /: 0 \(masked\)$/);
  await page.screenshot({ path: 'test-results/webview-causal.png', fullPage: true });

  await feed(page, BIDIRECTIONAL);
  assert.ok((await maskVariety()) <= 1, 'no stripes for a bidirectional model');
  assert.doesNotMatch(await page.locator('.al-matrix .al-notes').innerText(), /Hatched/);
  await page.close();
});

test('hiding special tokens drops their rows and columns and renormalises', async () => {
  const { page } = await views.open();
  await feed(page, BIDIRECTIONAL);
  assert.equal(await page.$eval('.al-matrix', (el) => (el as HTMLElement).dataset.size), '12');
  const before = (await page.locator(MATRIX).boundingBox())!;
  await page.locator('vscode-checkbox', { hasText: 'Hide special tokens' }).click();
  await settle(page);
  assert.equal(await page.$eval('.al-matrix', (el) => (el as HTMLElement).dataset.size), '10');
  assert.match(await page.locator('.al-matrix .al-notes').innerText(), /rows renormalised/);
  const tokens = syntheticText(BIDIRECTIONAL).tokens;
  const visible = hideTokens(selectHead(syntheticLayer(BIDIRECTIONAL, 0), 4, 12, 0), 12, tokens.map((t) => t.special));
  // Row 2 is now "brown" (token 3), column 1 "quick" (token 2): 0.908 / (1 - 2·0.1/12).
  assert.equal(await hoverCell(page, 2, 1), `brown → quick: ${formatWeight(visible.matrix[2 * 10 + 1])}`);
  assert.equal(formatWeight(visible.matrix[2 * 10 + 1]), '0.924');
  assert.equal(await page.locator('.al-token.al-special').first().isVisible(), false, 'the strip hides them too');
  const after = (await page.locator(MATRIX).boundingBox())!;
  assert.ok(after.width <= before.width, 'ten rows take no more room than twelve');
  await page.screenshot({ path: 'test-results/webview-hidden-special.png', fullPage: true });
  await page.close();
});

test('mean, max and rollout aggregations show the matching matrices', async () => {
  const { page } = await views.open();
  await feed(page, BIDIRECTIONAL);
  const layers = [0, 1].map((l) => syntheticLayer(BIDIRECTIONAL, l));
  const words = labels(BIDIRECTIONAL);
  const expect = async (matrix: Float32Array, r: number, c: number) =>
    assert.equal(await hoverCell(page, r, c), `${words[r]} → ${words[c]}: ${formatWeight(matrix[r * 12 + c])}`);

  await choose(page, 2, 'Mean over heads');
  assert.equal(await page.locator('.al-matrix .al-caption').textContent(), 'Layer 0, mean over heads');
  const mean = meanOverHeads(layers[0], 4, 12);
  // Token 5 ("jumps"): previous (4) 0.9/4, first (0) 0.9/4, itself 0.9/4, next (6) 0.9/4, plus 0.1/12.
  await expect(mean, 5, 4);
  await expect(mean, 5, 0);
  await expect(mean, 5, 9);
  assert.equal(formatWeight(mean[5 * 12 + 4]), '0.233');
  assert.equal(await page.locator('.al-toolbar vscode-single-select').nth(1).evaluate((el) => (el as HTMLElement & { disabled: boolean }).disabled), true, 'the head picker is off while aggregating');

  await choose(page, 2, 'Max over heads');
  const max = maxOverHeads(layers[0], 4, 12);
  await expect(max, 5, 6);
  assert.equal(formatWeight(max[5 * 12 + 6]), '0.908');

  await choose(page, 0, 'Layer 1');
  await choose(page, 2, 'Attention rollout across layers');
  await page.locator('.al-matrix[data-size="12"] .al-caption', { hasText: 'Rollout through layers 0–1' }).waitFor();
  await page.waitForFunction(() => !document.querySelector('.al-matrix .al-pending'));
  await settle(page);
  const rolled = rollout(layers, 4, 12)[1];
  await expect(rolled, 5, 4);
  await expect(rolled, 5, 5);
  await expect(rolled, 2, 0);
  await page.screenshot({ path: 'test-results/webview-rollout.png', fullPage: true });
  await page.close();
});
