// The rollout in the views: the matrix and the strip show the rollout the attention data answers,
// equal to src/attention's; past the interactive limit the matrix says why in its note, and the
// rollout rows, which stay cheap, still tint the strip.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { residualAttention, rollout } from '../../src/attention/index';
import { formatWeight } from '../../webview/views/format';
import { feed, settle } from './page';
import { useViewsPage } from './session';
import { argmax, hoverCell, tokenBackgrounds } from './probes';
import { syntheticLayer, syntheticText, type SyntheticSpec } from './synthetic';

const SMALL: SyntheticSpec = { layers: 3, heads: 4, tokens: 37, causal: false, kind: 'random' };
// 2000³ is past what the whole rollout may cost while the user waits.
const LONG: SyntheticSpec = { layers: 2, heads: 2, tokens: 2000, causal: false, kind: 'random' };

const views = useViewsPage();

/** Row `i` of the rollout through every layer given, A'ₗ·…·A'₀ one vector–matrix product at a time. */
function rolloutRow(layers: Float32Array[], heads: number, T: number, i: number): Float64Array {
  let row = new Float64Array(T);
  row[i] = 1;
  for (let l = layers.length - 1; l >= 0; l--) {
    const step = residualAttention(layers[l], heads, T);
    const next = new Float64Array(T);
    for (let r = 0; r < T; r++) {
      if (row[r] === 0) continue;
      for (let c = 0; c < T; c++) next[c] += row[r] * step[r * T + c];
    }
    row = next;
  }
  return row;
}

const alphas = async (page: Page) => (await tokenBackgrounds(page)).map((c) => (c[3] === 1 && c[0] + c[1] + c[2] === 0 ? 0 : c[3]));

/** The strongest token other than `i`. */
function strongestOther(row: ArrayLike<number>, i: number): number {
  return argmax(Array.from(row, (v, j) => (j === i ? -1 : v)));
}

async function showRollout(page: Page, layer: number): Promise<void> {
  await page.evaluate((layer) => window.harness.app!.setState({ ...window.harness.app!.getState(), aggregation: 'rollout', layer }), layer);
  await settle(page);
}

test('the rollout matrix and its rows in the strip equal src/attention’s', async () => {
  const { page, errors } = await views.open();
  await feed(page, SMALL);
  await showRollout(page, SMALL.layers - 1);
  await page.locator('.al-matrix[data-pending="false"]').waitFor();
  assert.equal(await page.locator('.al-matrix .al-caption').textContent(), `Rollout through layers 0–${SMALL.layers - 1}`);
  const layers = Array.from({ length: SMALL.layers }, (_, l) => syntheticLayer(SMALL, l));
  const expected = rollout(layers, SMALL.heads, SMALL.tokens)[SMALL.layers - 1];
  const words = syntheticText(SMALL).tokens.map((t) => t.text);
  for (const [r, c] of [[5, 4], [5, 5], [2, 0], [36, 11]]) {
    assert.equal(await hoverCell(page, r, c), `${words[r]} → ${words[c]}: ${formatWeight(expected[r * SMALL.tokens + c])}`);
  }
  // The row computed here is the same rollout: checked against the whole matrix, for the long test below.
  const row = rolloutRow(layers, SMALL.heads, SMALL.tokens, 9);
  assert.ok(row.every((v, c) => Math.abs(v - expected[9 * SMALL.tokens + c]) < 1e-6));
  await page.locator('.al-token').nth(9).hover();
  await settle(page);
  assert.equal(argmax(await alphas(page)), strongestOther(row, 9));
  await page.screenshot({ path: 'test-results/webview-rollout.png', fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

test('past the interactive limit the matrix says why, and the rollout rows still tint the strip', async () => {
  const { page, errors } = await views.open();
  await feed(page, LONG);
  await showRollout(page, 1);
  const note = page.locator('.al-matrix .al-notes .al-pending');
  await note.waitFor();
  assert.match((await note.textContent()) ?? '', /too long to compute/);
  const layers = [0, 1].map((l) => syntheticLayer(LONG, l));
  const row = rolloutRow(layers, LONG.heads, LONG.tokens, 40);
  await page.locator('.al-token').nth(40).hover();
  await page.waitForFunction(() => [...document.querySelectorAll<HTMLElement>('.al-token')].some((span) => span.style.backgroundColor !== ''));
  assert.equal(argmax(await alphas(page)), strongestOther(row, 40), 'the strongest rollout weight of token 40 is tinted most');
  await page.screenshot({ path: 'test-results/webview-rollout-unavailable.png' });
  assert.deepEqual(errors, []);
  await page.close();
});
