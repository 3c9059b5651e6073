// End to end, exporting from the panel in VS Code (code-server): a person inspects a phrase, opens
// the panel's Export menu, picks "Matrix as PNG…", types where to save it into VS Code's own save
// dialog (the simple dialog of the web workbench) and finds the PNG there, with a "Saved to" message.
// Screenshots go to test-results/e2e-export/.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, FrameLocator, Page } from 'playwright-core';
import { launchChromium, newLoggedPage } from '../harness/browser';
import { CodeServer } from '../harness/codeServer';
import { modelFixture, repoRoot, resultsRoot, workspaceFixture } from '../harness/paths';
import { quietSettings } from '../harness/profile';
import { waitFor } from '../harness/wait';
import { openFromExplorer, runFromPalette, selectWithKeyboard, waitForWorkbench, webviewContent } from '../harness/workbench';

const shots = path.join(resultsRoot, 'e2e-export');
const PHRASE = 'there was a little girl';
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
let server: CodeServer | undefined;
let browser: Browser | undefined;
let page: Page;
let failed = false;
let outDir: string;

before(async () => {
  failed = true;
  fs.rmSync(shots, { recursive: true, force: true });
  fs.mkdirSync(shots, { recursive: true });
  outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'attention-lens-e2e-export-'));
  browser = await launchChromium();
  server = await CodeServer.start({
    name: 'e2e-export',
    env: { ATTENTION_LENS_MODEL: process.env.ATTENTION_LENS_MODEL ?? modelFixture },
    settings: quietSettings,
  });
  page = await newLoggedPage(browser, server.logDir);
  await page.goto(server.workbenchUrl({ folder: workspaceFixture, extensionDevelopmentPath: repoRoot }));
  await waitForWorkbench(page, 'story.txt');
  failed = false;
});

after(async () => {
  await page?.close().catch(() => undefined);
  await server?.stop({ keepLogs: failed });
  if (failed && server) console.log(`logs kept in ${path.relative(process.cwd(), server.logDir)}`);
  await browser?.close().catch(() => undefined);
  if (outDir) fs.rmSync(outDir, { recursive: true, force: true });
});

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: path.join(shots, `${name}.png`) });
}

async function finishedPanel(): Promise<FrameLocator> {
  const frame = await webviewContent(page, 'Attention Lens');
  await frame.locator('main[aria-busy="false"] .al-app[data-done="true"]').waitFor({ timeout: 90_000 });
  return frame;
}

test('export the matrix as PNG from the panel through the save dialog', { timeout: 180_000 }, async () => {
  try {
    await openFromExplorer(page, 'story.txt');
    await selectWithKeyboard(page, 1, 19, PHRASE.length);
    await runFromPalette(page, 'Attention Lens: Inspect Selection');
    const frame = await finishedPanel();

    const button = frame.locator('.al-export-button');
    assert.equal(await button.getAttribute('aria-haspopup'), 'menu');
    await button.click();
    const item = frame.getByRole('menuitem', { name: 'Matrix as PNG…' });
    await item.waitFor({ timeout: 5_000 });
    assert.equal(await button.getAttribute('aria-expanded'), 'true');
    // The menu is keyboard-driven: the first item has the focus, Down moves to the next.
    await waitFor('the first menu item to be focused', () => item.evaluate((el) => el === document.activeElement), { timeoutMs: 5_000 });
    await shot('1-export-menu');
    await item.click();

    // VS Code's save dialog: in the browser workbench, a quick input holding a path.
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible', timeout: 15_000 });
    // The dialog fills in the folder first and the proposed file name a moment later.
    const proposed = await waitFor('the proposed file name', async () => {
      const value = await input.inputValue();
      return value.endsWith('.png') ? value : undefined;
    }, { timeoutMs: 10_000 });
    console.log(`save dialog proposes: ${proposed}`);
    assert.match(path.basename(proposed), /^attention-[A-Za-z0-9._-]+-\d+-(\d+|mean|max|rollout)\.png$/);
    await shot('2-save-dialog');
    const target = path.join(outDir, 'matrix.png');
    await input.fill(target);
    // The dialog lists the typed path's folder as it changes, and takes Enter once it has; press
    // Enter again while the dialog is still open.
    await waitFor('the save dialog to accept the path', async () => {
      if (!(await input.isVisible())) return true;
      await input.press('Enter');
      return page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 1_500 }).then(() => true, () => false);
    }, { timeoutMs: 15_000 });

    await waitFor(`${target} to be written`, () => fs.existsSync(target) && fs.statSync(target).size > 0, { timeoutMs: 15_000 });
    const png = fs.readFileSync(target);
    assert.ok(png.subarray(0, 8).equals(PNG_SIGNATURE), 'the file is a PNG');
    const width = png.readUInt32BE(16);
    const height = png.readUInt32BE(20);
    const canvas = await frame.locator('.al-matrix canvas').first().evaluate((c: HTMLCanvasElement) => ({ width: c.width, height: c.height }));
    console.log(`exported ${png.length} bytes, ${width}×${height}; the canvas is ${canvas.width}×${canvas.height}`);
    assert.deepEqual({ width, height }, canvas);

    const toast = page.locator('.notifications-toasts .notification-toast', { hasText: 'Saved to' });
    await toast.waitFor({ timeout: 10_000 });
    assert.ok(await toast.getByRole('button', { name: 'Reveal' }).isVisible(), 'the message offers Reveal');
    await shot('3-saved');
    fs.copyFileSync(target, path.join(shots, 'exported-matrix.png'));
  } catch (err) {
    failed = true;
    await shot('failed').catch(() => undefined);
    throw err;
  }
});
