// The window stepper: hidden for a text inspected whole; for a window of a longer text it says which
// one, and its buttons and arrow keys ask for the previous or next window (never past either end).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TextWindow } from '../../src/protocol';
import { settle } from './page';
import { useViewsPage } from './session';
import type { SyntheticSpec } from './synthetic';

const SPEC: SyntheticSpec = { layers: 2, heads: 2, tokens: 16, causal: true, kind: 'pattern' };
const windowOf = (index: number): TextWindow => ({
  index, count: 3, firstToken: index * 12, endToken: index * 12 + 16, textTokens: 40, start: index * 50, end: index * 50 + 70,
});

const views = useViewsPage();

test('a text inspected whole shows no stepper; a window says where it is and steps by button and arrow key', async () => {
  const { page, errors } = await views.open();
  const stepper = page.locator('.al-windows');
  await page.evaluate((spec) => window.harness.inspect(spec), SPEC);
  await settle(page);
  assert.equal(await stepper.isVisible(), false);

  await page.evaluate(({ spec, w }) => window.harness.inspect(spec, w), { spec: SPEC, w: windowOf(1) });
  await settle(page);
  assert.ok(await stepper.isVisible());
  assert.equal(await stepper.locator('.al-window-label').textContent(), 'Window 2 of 3 · tokens 13–28 of 40');
  await page.screenshot({ path: 'test-results/webview-windows.png', clip: { x: 0, y: 0, width: 1280, height: 220 } });
  await stepper.locator('[data-step="next"]').click();
  await stepper.locator('[data-step="previous"]').focus();
  await page.keyboard.press('Enter');
  await page.keyboard.press('ArrowRight');
  const posted = () => page.evaluate(() => window.harness.posted.filter((m) => m.type === 'showWindow'));
  assert.deepEqual(await posted(), [{ type: 'showWindow', index: 2 }, { type: 'showWindow', index: 0 }, { type: 'showWindow', index: 2 }]);

  // At the last window, next is disabled and asks for nothing.
  await page.evaluate(({ spec, w }) => window.harness.inspect(spec, w), { spec: SPEC, w: windowOf(2) });
  await settle(page);
  assert.equal(await stepper.locator('[data-step="next"]').getAttribute('aria-disabled'), 'true');
  await stepper.locator('[data-step="previous"]').focus();
  await page.keyboard.press('ArrowRight');
  assert.equal((await posted()).length, 3);
  assert.deepEqual(errors, []);
});

test('the stepper reads in Spanish', async () => {
  const { page } = await views.open({ locale: 'es' });
  await page.evaluate(({ spec, w }) => window.harness.inspect(spec, w), { spec: SPEC, w: windowOf(0) });
  await settle(page);
  assert.equal(await page.locator('.al-window-label').textContent(), 'Ventana 1 de 3 · tokens 1–16 de 40');
  assert.equal(await page.locator('[data-step="next"]').getAttribute('aria-label'), 'Ventana siguiente');
});
