// The mounted app as the panel uses it: layers streaming in, a progress indicator, theme changes,
// Spanish text and state that survives a reload.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { feed, settle } from './page';
import { useViewsPage } from './session';
import { argmax, cellColour, MATRIX, pixels, tokenBackgrounds } from './probes';
import type { SyntheticSpec } from './synthetic';

const SPEC: SyntheticSpec = { layers: 4, heads: 4, tokens: 16, causal: false, kind: 'pattern' };

const views = useViewsPage();

test('layer 0 is drawn before the last layer arrives, and the progress indicator goes when done', async () => {
  const { page, errors } = await views.open();
  assert.match(await page.locator('.al-waiting').innerText(), /Inspect Selection/);
  await feed(page, SPEC, 1, false);
  // The matrix draws once its reply is in, which on a cold page can take more than the feed's frame.
  await page.waitForFunction(() => (document.querySelector('.al-matrix') as HTMLElement | null)?.dataset.size !== undefined, undefined, { timeout: 10_000 });
  assert.equal(await page.$eval('.al-matrix', (el) => (el as HTMLElement).dataset.size), '16', 'the matrix shows layer 0');
  assert.equal(await page.locator('.al-matrix .al-caption').textContent(), 'Layer 0, head 0');
  assert.equal(await page.$eval('.al-model', (el) => (el as HTMLElement).dataset.painted), '4', 'layer 0 thumbnails only');
  const progress = page.locator('.al-progress');
  assert.ok(await progress.isVisible());
  assert.equal(await progress.locator('.al-note').textContent(), 'Receiving layer 2 of 4…');
  assert.equal(await page.$eval('vscode-progress-bar', (el) => (el as HTMLElement & { value: number }).value), 1);
  assert.equal(await page.locator('vscode-option[value="3"]').first().getAttribute('disabled'), '', 'layer 3 cannot be picked yet');
  await page.locator('.al-token').nth(6).hover();
  assert.equal(argmax((await tokenBackgrounds(page)).map((c) => c[3])), 5, 'the strip works on the first layer');
  await page.screenshot({ path: 'test-results/webview-streaming.png', fullPage: true });

  await page.evaluate(() => window.harness.layers(1, 3));
  await settle(page);
  assert.equal(await progress.locator('.al-note').textContent(), 'Receiving layer 4 of 4…');
  await page.waitForFunction(() => document.querySelector<HTMLElement>('.al-model')?.dataset.painted === '12');
  await page.evaluate(() => {
    window.harness.layers(3, 4);
    window.harness.done();
  });
  await settle(page);
  assert.equal(await progress.isVisible(), false, 'no progress indicator once done');
  assert.equal(await page.locator('vscode-option[value="3"]').first().getAttribute('disabled'), null);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a continuation shown again as it grows keeps its thumbnails while it is written, and asks for them again once written', async () => {
  const { page, errors } = await views.open();
  const show = (writing: boolean) => page.evaluate(({ spec, writing }) => {
    const h = window.harness;
    h.inspect(spec, undefined, { id: 41, writing });
    h.layers(0, spec.layers);
    h.done();
    return h.frame();
  }, { spec: SPEC, writing });
  const asked = () => page.evaluate(() => window.harness.requests().filter((r) => r.request.type === 'thumbnails').length);
  const painted = () => page.$eval('.al-model', (el) => (el as HTMLElement).dataset.painted);
  await show(true);
  await settle(page);
  const first = await asked();
  assert.ok(first >= 1, 'the first showing asks for thumbnails');
  assert.equal(await painted(), '16');
  const matrices = await page.evaluate(() => window.harness.requests().filter((r) => r.request.type === 'matrix').length);
  await show(true);
  await show(true);
  await settle(page);
  assert.equal(await asked(), first, 'no thumbnails asked again while the model writes');
  assert.equal(await painted(), '16', 'the thumbnails stay on screen');
  assert.ok(await page.evaluate(() => window.harness.requests().filter((r) => r.request.type === 'matrix').length) > matrices, 'the matrix is asked for the longer sequence');
  await show(false);
  await settle(page);
  assert.ok((await asked()) > first, 'written: the thumbnails are asked for again');
  assert.equal(await painted(), '16');
  assert.deepEqual(errors, []);
  await page.close();
});

test('a theme change (body class) redraws the canvases and the strip in the new colours', async () => {
  const { page } = await views.open();
  await feed(page, SPEC);
  await page.locator('.al-token').nth(6).click();
  await page.mouse.move(1, 1);
  await settle(page);
  const darkCorner = (await pixels(page, MATRIX, 1, 1, 1, 1)).slice(0, 3);
  const darkHot = await cellColour(page, 6, 5);
  const darkTint = (await tokenBackgrounds(page))[5];
  assert.deepEqual(darkCorner, [0x1f, 0x1f, 0x1f], 'the dark editor background');
  await page.screenshot({ path: 'test-results/webview-dark.png', fullPage: true });

  await page.evaluate(() => document.body.classList.replace('vscode-dark', 'vscode-light'));
  await settle(page);
  assert.deepEqual((await pixels(page, MATRIX, 1, 1, 1, 1)).slice(0, 3), [255, 255, 255], 'the light editor background');
  const lightHot = await cellColour(page, 6, 5);
  assert.notDeepEqual(lightHot, darkHot, 'hot cells recoloured');
  assert.ok(lightHot[0] + lightHot[1] + lightHot[2] < darkHot[0] + darkHot[1] + darkHot[2], 'hot cells are dark on a light theme');
  const lightTint = (await tokenBackgrounds(page))[5];
  assert.deepEqual(darkTint.slice(0, 3), [0x37, 0x94, 0xff]);
  assert.deepEqual(lightTint.slice(0, 3), [0x1a, 0x85, 0xff], 'the strip uses the light theme’s chart blue');
  await page.screenshot({ path: 'test-results/webview-light.png', fullPage: true });

  await page.evaluate(() => document.body.classList.replace('vscode-light', 'vscode-high-contrast'));
  await settle(page);
  assert.deepEqual((await pixels(page, MATRIX, 1, 1, 1, 1)).slice(0, 3), [0, 0, 0]);
  assert.deepEqual((await tokenBackgrounds(page))[5].slice(0, 3), [0xf3, 0x85, 0x18], 'high contrast tints with the contrast border colour');
  await page.screenshot({ path: 'test-results/webview-high-contrast.png', fullPage: true });
  await page.close();
});

test('with locale "es" the views speak Spanish', async () => {
  const { page } = await views.open({ locale: 'es' });
  await feed(page, SPEC);
  // Checkbox labels live in the controls' shadow DOM, so read them as well as the page text.
  const labels = await page.$$eval('vscode-checkbox', (boxes) => boxes.map((b) => (b as HTMLElement & { label: string }).label));
  const text = (await page.locator('.al-app').textContent()) + labels.join('\n');
  for (const expected of ['Capa', 'Cabeza', 'Agregación', 'Atención recibida', 'Ocultar tokens especiales', 'Matriz de atención', 'Vista de cabezas', 'Vista del modelo', 'Capa 0, cabeza 0', 'Cabeza 3']) {
    assert.ok(text.includes(expected), `"${expected}" is shown`);
  }
  assert.ok(!text.includes('Attention matrix'));
  await page.locator('.al-toolbar vscode-single-select').nth(2).click();
  await page.getByRole('option', { name: 'Media de las cabezas' }).waitFor();
  await page.screenshot({ path: 'test-results/webview-es.png', fullPage: true });
  await page.close();
});

test('state survives a reload through getState/setState, and onStateChange reports changes', async () => {
  const { page } = await views.open();
  await feed(page, SPEC);
  await page.evaluate(() => {
    const w = window as unknown as { changes: unknown[] };
    w.changes = [];
    window.harness.app!.onStateChange((s) => w.changes.push(s));
  });
  await page.locator('.al-toolbar vscode-single-select').nth(2).click();
  await page.getByRole('option', { name: 'Max over heads', exact: true }).click();
  await page.locator('vscode-checkbox', { hasText: 'Hide special tokens' }).click();
  await page.locator('.al-token').nth(7).click();
  await page.locator('.al-token').nth(3).hover();
  const saved = await page.evaluate(() => window.harness.app!.getState());
  assert.deepEqual(saved, { layer: 0, head: 0, aggregation: 'max', received: false, hideSpecial: true, hiddenHeads: [], locked: 7 });
  const changes = await page.evaluate(() => (window as unknown as { changes: unknown[] }).changes.length);
  assert.equal(changes, 3, 'one report per persistent change; hovering is not one');

  // A reload: a fresh page, the saved state restored, then the inspection sent again.
  await page.reload();
  await page.evaluate((s) => {
    window.harness.mount();
    window.harness.app!.setState(s);
  }, saved);
  await feed(page, SPEC);
  assert.deepEqual(await page.evaluate(() => window.harness.app!.getState()), saved);
  assert.equal(await page.locator('.al-matrix .al-caption').textContent(), 'Layer 0, max over heads');
  assert.equal(await page.$eval('.al-matrix', (el) => (el as HTMLElement).dataset.size), '14');
  assert.equal(await page.locator('.al-token.al-locked').textContent(), 'a');
  // Garbage from an older version falls back to defaults instead of breaking the panel.
  await page.evaluate(() => window.harness.app!.setState({ layer: 99, head: -1, aggregation: 'nope', hiddenHeads: [1, 'x', 42] }));
  const repaired = await page.evaluate(() => window.harness.app!.getState());
  assert.deepEqual([repaired.layer, repaired.head, repaired.aggregation, repaired.hiddenHeads], [3, 0, 'head', [1]]);
  await page.close();
});

test('512 tokens of a 12 × 12 model: every view draws, and the screenshot is readable', async () => {
  const { page, errors } = await views.open({ height: 1300 });
  await feed(page, { layers: 12, heads: 12, tokens: 512, causal: false, kind: 'random' });
  assert.equal(await page.$eval('.al-matrix', (el) => (el as HTMLElement).dataset.size), '512');
  // Thumbnails are painted over several frames so that the panel never stalls.
  await page.waitForFunction(() => document.querySelector<HTMLElement>('.al-model')?.dataset.painted === '144');
  await page.locator('.al-token').nth(40).click();
  await page.locator(MATRIX).hover({ position: { x: 200, y: 150 } });
  await settle(page);
  assert.match((await page.locator('.al-matrix .al-tooltip').textContent()) ?? '', /^.+ → .+: [\d.e-]+$/);
  await page.screenshot({ path: 'test-results/webview-512.png' });
  assert.deepEqual(errors, []);
  await page.close();
});
