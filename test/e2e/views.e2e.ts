// End to end, the panel's views in VS Code (code-server): a person inspects a phrase from the
// palette and reads the token strip, the matrix (with its tooltip), the head view and the model
// view; hovers the editor for the top-5 card; locks and unlocks a token; switches the aggregation;
// reloads the window and finds the panel as they left it; and sees the views in Spanish.
// Screenshots of each view go to test-results/e2e-views/.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import type { FrameLocator } from 'playwright-core';
import { spanish } from '../harness/languagePack';
import { workbenchSession } from '../harness/session';
import { waitFor } from '../harness/wait';
import { openFromExplorer, pointAt, runFromPalette, selectedCharacters, selectWithKeyboard, waitForWorkbench, webviewContent } from '../harness/workbench';

const PHRASE = 'there was a little girl';
const session = workbenchSession('e2e-views');
const shots = session.shots;
const shot = (name: string) => session.shot(name);
const e2e = (name: string, timeout: number, body: () => Promise<void>) => session.test(name, timeout, body);

/** Waits for the panel to have drawn a complete inspection; returns its frame. */
async function finishedPanel(): Promise<FrameLocator> {
  const frame = await webviewContent(session.page, 'Attention Lens');
  const done = frame.locator('main[aria-busy="false"] .al-app[data-done="true"]');
  const error = frame.locator('main .error');
  await done.or(error).first().waitFor({ timeout: 90_000 });
  if (await error.isVisible()) throw new Error(`the panel shows an error: ${await error.textContent()}`);
  return frame;
}

/** How many pixels of a canvas are painted, and a hash of its pixels (to tell two drawings apart). */
async function canvasPixels(frame: FrameLocator, selector: string): Promise<{ painted: number; hash: number; width: number }> {
  return frame.locator(selector).first().evaluate((canvas: HTMLCanvasElement) => {
    const ctx = canvas.getContext('2d');
    if (!ctx || canvas.width === 0 || canvas.height === 0) return { painted: 0, hash: 0, width: canvas.width };
    const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
    let painted = 0;
    let hash = 2166136261;
    for (let i = 0; i < data.length; i += 4) {
      if (data[i + 3] !== 0) painted++;
      hash = Math.imul(hash ^ (data[i] | (data[i + 1] << 8) | (data[i + 2] << 16)), 16777619) >>> 0;
    }
    return { painted, hash, width: canvas.width };
  });
}

/** The values the toolbar's layer, head and aggregation pickers show. */
async function pickers(frame: FrameLocator): Promise<string[]> {
  return frame.locator('.al-toolbar vscode-single-select').evaluateAll((selects) => selects.map((s) => (s as HTMLElement & { value: string }).value));
}

/** Picks `option` in the toolbar's `nth` picker (0 layer, 1 head, 2 aggregation). */
async function pick(frame: FrameLocator, nth: number, option: string): Promise<void> {
  await frame.locator('.al-toolbar vscode-single-select').nth(nth).click();
  await frame.getByRole('option', { name: option, exact: true }).click();
}

async function caption(frame: FrameLocator): Promise<string> {
  return ((await frame.locator('.al-matrix .al-caption').textContent()) ?? '').trim();
}

/** The tooltip the matrix shows with the pointer over cell (row `r`, column `c`). */
async function matrixTooltip(frame: FrameLocator, r: number, c: number): Promise<string> {
  const canvas = frame.locator('.al-matrix canvas').first();
  const { gutter, cell } = await canvas.evaluate((el: HTMLCanvasElement) => ({ gutter: Number(el.dataset.gutter), cell: Number(el.dataset.cell) }));
  await canvas.hover({ position: { x: gutter + cell * (c + 0.5), y: gutter + cell * (r + 0.5) } });
  const tooltip = frame.locator('.al-matrix .al-tooltip');
  await tooltip.waitFor({ state: 'visible', timeout: 5_000 });
  return ((await tooltip.textContent()) ?? '').trim();
}

let beforeReload: { pickers: string[]; caption: string; hash: number } | undefined;

e2e('inspect a phrase: the panel streams it and draws all four views', 180_000, async () => {
  await openFromExplorer(session.page, 'story.txt');
  // Line 1: "Once upon a time, there was a little girl named Lily …"; the phrase starts at column 19.
  await selectWithKeyboard(session.page, 1, 19, PHRASE.length);
  await runFromPalette(session.page, 'Attention Lens: Inspect Selection');
  const frame = await finishedPanel();
  const layers = Number(await frame.locator('dd[data-fact="layers"]').textContent());
  const heads = Number(await frame.locator('dd[data-fact="heads"]').textContent());
  const tokens = await frame.locator('.al-token').count();
  const received = await frame.locator('.al-app').getAttribute('data-layers-received');
  console.log(`panel: ${layers} layers × ${heads} heads, ${tokens} tokens, ${received} layers received`);
  assert.equal(received, String(layers), 'every layer arrived');

  for (const [view, selector] of [['matrix', '.al-matrix canvas'], ['heads', '.al-heads canvas'], ['model', '.al-model canvas']] as const) {
    const { painted, width } = await canvasPixels(frame, selector);
    console.log(`${view} canvas: ${width}px wide, ${painted} painted pixels`);
    assert.ok(painted > 0, `the ${view} canvas is blank`);
  }
  const thumbnails = Number(await frame.locator('.al-model').getAttribute('data-painted'));
  assert.equal(thumbnails, layers * heads, 'one thumbnail per layer and head');

  const tip = await matrixTooltip(frame, tokens - 1, 0);
  console.log(`matrix tooltip: ${tip}`);
  assert.match(tip, /→.*: (\d\.\d{3}|\d\.\de-\d+|0)/);

  await frame.locator('.al-strip-section').screenshot({ path: path.join(shots, 'strip.png') });
  await frame.locator('.al-matrix').screenshot({ path: path.join(shots, 'matrix-tooltip.png') });
  await frame.locator('.al-heads').screenshot({ path: path.join(shots, 'heads.png') });
  await frame.locator('.al-model').screenshot({ path: path.join(shots, 'model.png') });
  await shot('1-panel');
});

e2e('the editor hover still shows the top-5 card', 60_000, async () => {
  // "girl" ends the phrase: line 1, columns 38..41.
  const hover = session.page.locator('.monaco-hover:visible', { hasText: 'Attention Lens' }).first();
  await waitFor('the Attention Lens hover card', async () => {
    const { x, y } = await pointAt(session.page, 1, 40);
    await session.page.mouse.move(x - 3, y);
    await session.page.mouse.move(x, y, { steps: 3 });
    return hover.waitFor({ timeout: 2_500 }).then(() => true, () => false);
  }, { timeoutMs: 30_000, intervalMs: 200 });
  const rows = hover.locator('table tbody tr');
  // The five heaviest, or fewer when the token can attend to fewer (the tiny model's phrase has 4 tokens).
  await waitFor('rows in the card', async () => (await rows.count()) > 0, { timeoutMs: 10_000 });
  const count = await rows.count();
  console.log(`hover card: ${count} rows: ${(await rows.allTextContents()).map((r) => r.trim()).join(' | ')}`);
  assert.ok(count >= 1 && count <= 5);
  await shot('2-hover-card');
  await session.page.mouse.move(5, 5);
});

e2e('lock a token with a click, unlock it with Escape', 60_000, async () => {
  const frame = await finishedPanel();
  const token = frame.locator('.al-token:not(.al-special)').nth(2);
  const text = (await token.textContent()) ?? '';
  await token.click();
  await waitFor('the token to be locked', async () => (await token.getAttribute('aria-selected')) === 'true', { timeoutMs: 5_000 });
  // Locking reveals the token in the editor.
  // The status bar counts the selection only while the editor has the focus, which the click on the panel may take back.
  await waitFor(`the editor to select "${text}"`, async () => (await selectedCharacters(session.page)) === text.length, { timeoutMs: 10_000 });
  const hint = (await frame.locator('.al-strip-section .al-note').textContent()) ?? '';
  console.log(`locked "${text}": ${hint}`);
  await shot('3-locked');
  await frame.locator('.al-strip').press('Escape');
  await waitFor('the token to be unlocked', async () => (await frame.locator('.al-token.al-locked').count()) === 0, { timeoutMs: 5_000 });
  assert.notEqual(await token.getAttribute('aria-selected'), 'true');
});

e2e('switching the aggregation changes the matrix', 60_000, async () => {
  const frame = await finishedPanel();
  await pick(frame, 0, 'Layer 1');
  await waitFor('layer 1 in the caption', async () => /Layer 1/.test(await caption(frame)), { timeoutMs: 5_000 });
  const single = await canvasPixels(frame, '.al-matrix canvas');
  const singleCaption = await caption(frame);
  // Rollout comes from the engine's attention store, like every other matrix the panel shows.
  await pick(frame, 2, 'Attention rollout across layers');
  await waitFor('the rollout caption', async () => /Rollout through layers 0–1/.test(await caption(frame)), { timeoutMs: 10_000 });
  await waitFor('the rollout to be drawn', async () => (await frame.locator('.al-matrix').getAttribute('data-pending')) === 'false' &&
    (await canvasPixels(frame, '.al-matrix canvas')).hash !== single.hash, { timeoutMs: 15_000 });
  await frame.locator('.al-matrix').screenshot({ path: path.join(shots, 'matrix-rollout.png') });
  await pick(frame, 2, 'Max over heads');
  await waitFor('the max caption', async () => (await caption(frame)) !== singleCaption, { timeoutMs: 5_000 });
  await waitFor('the matrix to redraw', async () => (await canvasPixels(frame, '.al-matrix canvas')).hash !== single.hash, { timeoutMs: 5_000 });
  const max = await canvasPixels(frame, '.al-matrix canvas');
  console.log(`"${singleCaption}" hash ${single.hash} → "${await caption(frame)}" hash ${max.hash}`);
  // Lock a token so the reload has a lock to restore too; moving the pointer away keeps the lock.
  await frame.locator('.al-token:not(.al-special)').first().click();
  await session.page.mouse.move(5, 5);
  await frame.locator('.al-matrix').screenshot({ path: path.join(shots, 'matrix-max.png') });
  await shot('4-max');
  const locked = await canvasPixels(frame, '.al-matrix canvas');
  beforeReload = { pickers: await pickers(frame), caption: await caption(frame), hash: locked.hash };
});

e2e('hidden behind another tab and shown again, the panel shows the same inspection, layer, head and lock', 120_000, async () => {
  assert.ok(beforeReload, 'the aggregation test ran first');
  const shown = await finishedPanel();
  const tokensBefore = await shown.locator('.al-token').allTextContents();
  const lockedBefore = await shown.locator('.al-token.al-locked').textContent();
  // The panel's tab makes its editor group the active one; the explorer opens a file there, in
  // front of the panel, whose page is then unloaded (the panel does not keep hidden pages alive).
  const panelTab = session.page.locator('.tabs-container .tab', { hasText: 'Attention Lens' });
  await panelTab.click();
  await session.page.getByRole('treeitem', { name: 'README.md' }).click();
  const readmeTab = session.page.locator('.tabs-container .tab', { hasText: 'README.md' });
  await readmeTab.waitFor();
  await waitFor('the panel to go behind the README tab', async () =>
    (await session.page.locator('.tabs-container .tab.active', { hasText: 'README.md' }).count()) > 0
    && (await session.page.locator('.tabs-container .tab.active', { hasText: 'Attention Lens' }).count()) === 0, { timeoutMs: 10_000 });
  await shot('5-hidden');
  await panelTab.click();
  const frame = await finishedPanel();
  await waitFor('the tokens to be shown again', async () => (await frame.locator('.al-token').count()) === tokensBefore.length, { timeoutMs: 30_000 });
  const again = { pickers: await pickers(frame), caption: await caption(frame) };
  const tokensAfter = await frame.locator('.al-token').allTextContents();
  const lockedAfter = await frame.locator('.al-token.al-locked').textContent({ timeout: 5_000 });
  const { hash } = await waitFor('the matrix drawn as before', async () => {
    const pixels = await canvasPixels(frame, '.al-matrix canvas');
    return pixels.hash === beforeReload!.hash && pixels;
  }, { timeoutMs: 10_000 }).catch(() => canvasPixels(frame, '.al-matrix canvas'));
  console.log(`before hiding ${JSON.stringify(beforeReload)}; shown again ${JSON.stringify({ ...again, hash })}; locked "${lockedBefore}" → "${lockedAfter}"`);
  assert.deepEqual(tokensAfter, tokensBefore);
  assert.deepEqual(again.pickers, beforeReload.pickers);
  assert.equal(again.caption, beforeReload.caption);
  assert.equal(lockedAfter, lockedBefore);
  assert.equal(hash, beforeReload.hash, 'the matrix is drawn as it was');
  await shot('6-shown-again');
});

e2e('a window reload restores the panel with the same layer, head and aggregation', 180_000, async () => {
  assert.ok(beforeReload, 'the aggregation test ran first');
  const lockedBefore = await (await finishedPanel()).locator('.al-token.al-locked').textContent();
  await runFromPalette(session.page, 'Developer: Reload Window');
  await waitForWorkbench(session.page, 'story.txt');
  const frame = await finishedPanel();
  await waitFor('the restored tokens', async () => (await frame.locator('.al-token').count()) > 0, { timeoutMs: 30_000 });
  const restored = { pickers: await pickers(frame), caption: await caption(frame) };
  const lockedAfter = await frame.locator('.al-token.al-locked').textContent({ timeout: 5_000 });
  // The matrix redraws on the next animation frame after the last layer; wait for a drawing like the one before.
  const { hash } = await waitFor('the matrix drawn as before', async () => {
    const pixels = await canvasPixels(frame, '.al-matrix canvas');
    return pixels.hash === beforeReload!.hash && pixels;
  }, { timeoutMs: 10_000 }).catch(() => canvasPixels(frame, '.al-matrix canvas'));
  console.log(`before reload ${JSON.stringify(beforeReload)}; after ${JSON.stringify({ ...restored, hash })}; locked "${lockedBefore}" → "${lockedAfter}"`);
  assert.deepEqual(restored.pickers, beforeReload.pickers);
  assert.equal(restored.caption, beforeReload.caption);
  assert.equal(lockedAfter, lockedBefore);
  assert.equal(hash, beforeReload.hash, 'the matrix is drawn as it was');
  await shot('7-reloaded');
});

e2e('in VS Code in Spanish the views speak Spanish', 180_000, async () => {
  await session.stopServer();
  // code-server ships no Spanish: a generated language pack and --locale es make VS Code Spanish
  // (vscode.env.language is es), so the panel's strings come from the extension's Spanish l10n bundle.
  await session.open({ name: 'e2e-views-es', languagePack: spanish });
  await openFromExplorer(session.page, 'story.txt');
  await selectWithKeyboard(session.page, 1, 19, PHRASE.length);
  // The command's title comes from package.nls.es.json.
  await runFromPalette(session.page, 'Attention Lens: Inspeccionar la selección');
  const frame = await finishedPanel();
  const text = (await frame.locator('.al-app').textContent()) ?? '';
  for (const expected of ['Matriz de atención', 'Vista de cabezas', 'Vista del modelo', 'Capa']) {
    assert.ok(text.includes(expected), `"${expected}" is shown`);
  }
  assert.ok(!text.includes('Attention matrix'));
  assert.equal(await frame.locator('html').getAttribute('lang'), 'es', 'the page is in vscode.env.language');
  await shot('8-spanish');
});
