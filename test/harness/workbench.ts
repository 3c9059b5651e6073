// Drives the VS Code workbench the way a person does: explorer clicks, keys, the command palette.
// Selectors are VS Code's own DOM classes (stable across 1.9x releases); every step waits for the UI
// to show its result instead of sleeping.
import type { FrameLocator, Page } from 'playwright-core';
import { retry, waitFor } from './wait';

/** Waits until the workbench has loaded the folder and its explorer lists `file`. */
export async function waitForWorkbench(page: Page, file: string): Promise<void> {
  await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
  await page.getByRole('treeitem', { name: file }).waitFor({ timeout: 60_000 });
}

/** Opens `file` from the explorer and waits for its editor to have focus. */
export async function openFromExplorer(page: Page, file: string): Promise<void> {
  await page.getByRole('treeitem', { name: file }).click();
  const tab = page.locator('.tabs-container .tab', { hasText: file });
  await tab.waitFor();
  const editor = page.locator('.editor-instance .monaco-editor').first();
  await editor.locator('.view-lines').waitFor();
  await editor.locator('.view-lines').click();
  await page.locator('.monaco-editor.focused').waitFor();
}

/** Selects `length` characters from line `line`, column `column` (both 1-based) with the keyboard. */
export async function selectWithKeyboard(page: Page, line: number, column: number, length: number): Promise<void> {
  await page.keyboard.press('Control+Home');
  for (let i = 1; i < line; i++) await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Home');
  for (let i = 1; i < column; i++) await page.keyboard.press('ArrowRight');
  for (let i = 0; i < length; i++) await page.keyboard.press('Shift+ArrowRight');
  await page.locator('.monaco-editor .selected-text').first().waitFor();
  // The editor handles key presses after Playwright has sent them, and the status bar follows later
  // still: wait until it counts the whole selection, so callers never read a selection in progress.
  await waitFor(`${length} characters to be selected`,
    async () => (await selectionStatus(page)).includes(`(${length} selected)`), { timeoutMs: 15_000 });
}

/** Where 1-based `line` of the first editor lies: its text's left edge, character width and middle. */
async function lineGeometry(page: Page, line: number): Promise<{ left: number; charWidth: number; y: number }> {
  const lines = page.locator('.editor-instance .monaco-editor').first().locator('.view-lines .view-line');
  await lines.first().waitFor();
  // View lines are absolutely positioned and may be recycled out of order: sort them by their top.
  const boxes = (await lines.evaluateAll((nodes) => nodes.map((n) => {
    const r = n.getBoundingClientRect();
    const span = n.firstElementChild?.getBoundingClientRect() ?? r;
    return { top: r.top, height: r.height, left: span.left, width: span.width, chars: n.textContent?.length ?? 0 };
  }))).sort((a, b) => a.top - b.top);
  const box = boxes[line - 1];
  if (!box || box.chars === 0) throw new Error(`line ${line} is not rendered`);
  return { left: box.left, charWidth: box.width / box.chars, y: box.top + box.height / 2 };
}

/**
 * How many characters the first editor's selection covers on screen, from the width of its drawn
 * selection (drawn whether or not the editor has the focus, unlike the status bar's count).
 */
export async function selectedCharacters(page: Page): Promise<number> {
  const { charWidth } = await lineGeometry(page, 1);
  const width = await page.locator('.editor-instance .monaco-editor').first().locator('.view-overlays .selected-text')
    .evaluateAll((boxes) => boxes.reduce((sum, b) => sum + b.getBoundingClientRect().width, 0));
  return Math.round(width / charWidth);
}

/** The viewport point over 1-based `column` of 1-based `line` in the first editor. */
export async function pointAt(page: Page, line: number, column: number): Promise<{ x: number; y: number }> {
  const { left, charWidth, y } = await lineGeometry(page, line);
  return { x: left + (column - 0.5) * charWidth, y };
}

/**
 * Selects `length` characters from line `line`, column `column` (both 1-based) by dragging the mouse.
 * Columns become pixels through the editor's monospace character width, measured on the line itself.
 */
export async function selectWithMouse(page: Page, line: number, column: number, length: number): Promise<void> {
  const { left, charWidth, y } = await lineGeometry(page, line);
  await page.mouse.move(left + (column - 1) * charWidth + 1, y);
  await page.mouse.down();
  await page.mouse.move(left + (column - 1 + length) * charWidth - 1, y, { steps: 8 });
  await page.mouse.move(left + (column - 1 + length) * charWidth, y);
  await page.mouse.up();
  await page.locator('.monaco-editor .selected-text').first().waitFor();
}

/** The status bar's "Ln x, Col y (n selected)" text, to check what an editor has selected. */
export async function selectionStatus(page: Page): Promise<string> {
  return (await page.locator('#status\\.editor\\.selection').textContent()) ?? '';
}

/** Runs a command through the palette (F1), retrying when the palette is slow to open or list it. */
export async function runFromPalette(page: Page, title: string, whenListed?: () => Promise<void>): Promise<void> {
  await retry(`run "${title}" from the palette`, async () => {
    const input = page.locator('.quick-input-widget input');
    if (!(await input.isVisible())) await page.keyboard.press('F1');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill(`>${title}`);
    const item = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
    try {
      await item.waitFor({ timeout: 10_000 });
      await whenListed?.();
      await item.click();
      await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 5_000 });
    } catch (err) {
      await page.keyboard.press('Escape');
      throw err;
    }
  });
}

/**
 * The content frame of the webview panel titled `title`. VS Code nests two iframes: an outer host
 * frame per webview, and the `active-frame` that holds the extension's HTML.
 */
export async function webviewContent(page: Page, title: string): Promise<FrameLocator> {
  await page.locator('.tabs-container .tab', { hasText: title }).waitFor({ timeout: 30_000 });
  const host = page.locator('iframe.webview:visible').first();
  await host.waitFor({ timeout: 30_000 });
  return host.contentFrame().locator('#active-frame').contentFrame();
}
