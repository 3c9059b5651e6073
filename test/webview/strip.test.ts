// The token strip in real Chromium: hover tints, the "attention received" toggle, locking by click
// and by keyboard alone.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { feed, settle } from './page';
import { useViewsPage } from './session';
import { argmax, tokenBackgrounds } from './probes';
import type { SyntheticSpec } from './synthetic';

// Head 0 of the pattern attends from token i to token i-1.
const SPEC: SyntheticSpec = { layers: 2, heads: 4, tokens: 14, causal: false, kind: 'pattern' };

const views = useViewsPage();

async function open(): Promise<{ page: Page; errors: string[] }> {
  const opened = await views.open();
  await feed(opened.page, SPEC);
  return opened;
}

const alphas = async (page: Page) => (await tokenBackgrounds(page)).map((c) => c[3] === 1 && c[0] + c[1] + c[2] === 0 ? 0 : c[3]);

test('hovering token i tints token i-1 strongest, and nothing before a hover', async () => {
  const { page, errors } = await open();
  assert.ok((await alphas(page)).every((a) => a === 0), 'no tint before any hover');
  for (const i of [3, 7, 12]) {
    await page.locator('.al-token').nth(i).hover();
    const a = await alphas(page);
    assert.equal(argmax(a), i - 1, `token ${i} pays most attention to token ${i - 1}: alphas ${a.map((x) => x.toFixed(2))}`);
    assert.equal(a[i], 0, 'the hovered token itself is outlined, not tinted');
    assert.ok(a[i - 1] > 0.6 && a.filter((_, j) => j !== i - 1).every((x) => x < 0.1), 'the tint clearly singles it out');
  }
  await page.mouse.move(5, 990);
  assert.ok((await alphas(page)).every((a) => a === 0), 'leaving the strip clears the tints');
  assert.deepEqual(errors, []);
  await page.close();
});

test('"attention received" tints the token that attends to the hovered one', async () => {
  const { page } = await open();
  await page.locator('vscode-checkbox', { hasText: 'Attention received' }).click();
  await page.locator('.al-token').nth(5).hover();
  // Under head 0 token 6 attends to token 5 with 0.9; everything else gives it 0.1/14.
  assert.equal(argmax(await alphas(page)), 6);
  assert.match((await page.locator('.al-strip-section .al-note').textContent()) ?? '', /attend to it/);
  await page.close();
});

test('click locks a token (and asks the host to reveal it); a second click unlocks', async () => {
  const { page } = await open();
  await page.locator('.al-token').nth(4).click();
  await page.mouse.move(5, 990);
  assert.equal(argmax(await alphas(page)), 3, 'the lock keeps the tint after the pointer leaves');
  assert.equal(await page.evaluate(() => window.harness.app!.getState().locked), 4);
  // Hovers are posted too (the host paints the editor from them); only the lock reveals.
  assert.deepEqual(await page.evaluate(() => window.harness.posted.filter((m) => m.type === 'revealToken')), [{ type: 'revealToken', index: 4 }]);
  await page.locator('.al-token').nth(4).click();
  await page.mouse.move(5, 990);
  assert.equal(await page.evaluate(() => window.harness.app!.getState().locked), null);
  assert.ok((await alphas(page)).every((a) => a === 0));
  await page.close();
});

test('keyboard alone: Tab reaches the strip, arrows move, Enter locks, Esc unlocks', async () => {
  const { page } = await open();
  await page.locator('body').click({ position: { x: 2, y: 2 } });
  let reached = false;
  const stops: string[] = [];
  for (let i = 0; i < 12 && !reached; i++) {
    await page.keyboard.press('Tab');
    const where = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      return el ? `${el.tagName.toLowerCase()}.${el.className}` : '';
    });
    stops.push(where);
    reached = where.includes('al-strip');
  }
  assert.ok(reached, `Tab order never reached the strip: ${stops.join(' → ')}`);
  assert.ok(stops.filter((s) => s.startsWith('vscode-single-select')).length === 3, 'the three pickers come first');
  const active = () => page.$$eval('.al-token', (spans) => spans.findIndex((s) => s.classList.contains('al-active')));
  assert.equal(await active(), 0, 'focusing the strip puts the cursor on the first token');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  assert.equal(await active(), 3);
  assert.equal(argmax(await alphas(page)), 2, 'the keyboard cursor tints like a hover');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => window.harness.app!.getState().locked), 3);
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  assert.equal(await active(), 3, 'while locked, the locked token stays the active one');
  assert.equal(argmax(await alphas(page)), 2);
  assert.match((await page.locator('.al-strip-section .al-note').textContent()) ?? '', /Locked on “brown”/);
  await page.keyboard.press('Escape');
  assert.equal(await page.evaluate(() => window.harness.app!.getState().locked), null);
  assert.equal(await active(), 5, 'after unlocking, the cursor is where the arrows left it');
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('Space');
  assert.equal(await page.evaluate(() => window.harness.app!.getState().locked), 4, 'Space locks too');
  await settle(page);
  await page.screenshot({ path: 'test-results/webview-keyboard.png', fullPage: true });
  await page.close();
});
