// End to end, the editor side: a person selects a phrase, inspects it from the palette, then rests
// the mouse on a word of it and reads the hover card (the five tokens that word attends to most),
// while the tokens it attends to are painted in the editor. Screenshots go to
// test-results/e2e-editor/ (inspect.e2e.ts empties test-results/e2e/ when it starts, and the files
// may run one after the other).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, newLoggedPage } from '../harness/browser';
import { CodeServer } from '../harness/codeServer';
import { modelFixture, repoRoot, resultsRoot, workspaceFixture } from '../harness/paths';
import { quietSettings } from '../harness/profile';
import { waitFor } from '../harness/wait';
import { openFromExplorer, runFromPalette, selectionStatus, selectWithKeyboard, waitForWorkbench } from '../harness/workbench';

const shots = path.join(resultsRoot, 'e2e-editor');
let server: CodeServer | undefined;
let browser: Browser | undefined;
let page: Page;
let failed = false;

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: path.join(shots, `${name}.png`) });
}

before(async () => {
  failed = true;
  for (const file of fs.existsSync(shots) ? fs.readdirSync(shots).filter((f) => f.endsWith('.png')) : []) {
    fs.rmSync(path.join(shots, file));
  }
  fs.mkdirSync(shots, { recursive: true });
  server = await CodeServer.start({
    name: 'e2e-editor',
    env: { ATTENTION_LENS_MODEL: process.env.ATTENTION_LENS_MODEL ?? modelFixture },
    settings: quietSettings,
  });
  browser = await launchChromium();
  page = await newLoggedPage(browser, server.logDir);
  await page.goto(server.workbenchUrl({ folder: workspaceFixture, extensionDevelopmentPath: repoRoot }));
  await waitForWorkbench(page, 'story.txt');
  failed = false;
});

after(async () => {
  await browser?.close().catch(() => undefined);
  await server?.stop({ keepLogs: failed });
  if (failed && server) console.log(`logs kept in ${path.relative(process.cwd(), server.logDir)}`);
});

/** The viewport point over 1-based `column` of 1-based `line` in the first editor. */
async function pointAt(line: number, column: number): Promise<{ x: number; y: number }> {
  const lines = page.locator('.editor-instance .monaco-editor').first().locator('.view-lines .view-line');
  await lines.first().waitFor();
  // View lines are absolutely positioned and recycled out of order: sort them by their top.
  const boxes = (await lines.evaluateAll((nodes) => nodes.map((n) => {
    const r = n.getBoundingClientRect();
    const span = n.firstElementChild?.getBoundingClientRect() ?? r;
    return { top: r.top, height: r.height, left: span.left, width: span.width, chars: n.textContent?.length ?? 0 };
  }))).sort((a, b) => a.top - b.top);
  const box = boxes[line - 1];
  if (!box || box.chars === 0) throw new Error(`line ${line} is not rendered`);
  const charWidth = box.width / box.chars;
  return { x: box.left + (column - 0.5) * charWidth, y: box.top + box.height / 2 };
}

test('hover a word of an inspected phrase and read the five tokens it attends to', { timeout: 180_000 }, async () => {
  try {
    await openFromExplorer(page, 'story.txt');
    // Line 1: "Once upon a time, there was a little girl named Lily who loved to play in the park."
    const line = 'Once upon a time, there was a little girl named Lily who loved to play in the park.';
    await selectWithKeyboard(page, 1, 1, line.length);
    await waitFor(`${line.length} characters to be selected`, async () => (await selectionStatus(page)).includes(`(${line.length} selected)`),
      { timeoutMs: 10_000 });
    await runFromPalette(page, 'Attention Lens: Inspect Selection');

    // The status bar names the model and where it ran once the inspection is attached to the editor.
    const status = page.locator('.statusbar-item', { hasText: /tinystories.*·/i }).first();
    await status.waitFor({ timeout: 60_000 });
    console.log(`status bar: ${(await status.textContent())?.trim()}`);
    // Drop the selection so the highlights are not hidden under it; the caret goes to the empty
    // last line, outside the inspected text, and the editor scrolls back to column 1.
    await page.keyboard.press('Control+End');
    await waitFor('the selection to clear', async () => !(await selectionStatus(page)).includes('selected'), { timeoutMs: 10_000 });
    await shot('1-inspected');

    // Rest the mouse on "Lily" (the editor beside the panel is too narrow to show the whole line):
    // VS Code shows the hover after its delay.
    const lily = line.indexOf('Lily') + 1;
    const hover = page.locator('.monaco-hover:visible', { hasText: 'Attention Lens' }).first();
    await waitFor('the Attention Lens hover card', async () => {
      const { x, y } = await pointAt(1, lily + 1);
      await page.mouse.move(x - 3, y);
      await page.mouse.move(x, y, { steps: 3 });
      return hover.waitFor({ timeout: 2_500 }).then(() => true, () => false);
    }, { timeoutMs: 30_000, intervalMs: 200 });
    const rows = hover.locator('table tbody tr');
    await waitFor('five rows in the card', async () => (await rows.count()) === 5, { timeoutMs: 10_000 });
    const entries = await rows.evaluateAll((trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => td.textContent?.trim() ?? '')));
    console.log(`hover card: ${(await hover.locator('p').first().textContent())?.trim()}`);
    for (const entry of entries) console.log(`  ${entry.join(' | ')}`);
    assert.equal(entries.length, 5);
    entries.forEach((cells, i) => {
      assert.equal(cells[0], String(i + 1));
      assert.match(cells[2], /^#\d+$/);
      assert.match(cells[3], /^[01]\.\d{3}$/);
    });
    const weights = entries.map((cells) => Number(cells[3]));
    assert.deepEqual([...weights].sort((a, b) => b - a), weights, 'heaviest first');

    // The tokens "girl" attends to are painted: inline decorations in the editor's overlay layer.
    const painted = await page.locator('.editor-instance .monaco-editor').first().locator('.view-overlays .cdr').count();
    console.log(`painted decorations: ${painted}`);
    assert.ok(painted > 0, 'no highlights in the editor');
    await shot('2-hover-card');
  } catch (err) {
    failed = true;
    await shot('failed').catch(() => undefined);
    throw err;
  }
});
