// End to end: a person opens a file, selects a phrase, runs "Attention Lens: Inspect Selection" from
// the palette and reads the panel. Screenshots of each step go to test-results/e2e/.
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
import {
  openFromExplorer, runFromPalette, selectionStatus, selectWithKeyboard, selectWithMouse, waitForWorkbench, webviewContent,
} from '../harness/workbench';

const shots = path.join(resultsRoot, 'e2e');
let server: CodeServer | undefined;
let browser: Browser | undefined;
let page: Page;
let failed = false;

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: path.join(shots, `${name}.png`) });
}

before(async () => {
  // A failure here (no code-server, no chromium) must keep the logs too.
  failed = true;
  fs.rmSync(shots, { recursive: true, force: true });
  fs.mkdirSync(shots, { recursive: true });
  server = await CodeServer.start({
    name: 'e2e',
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

/** A screenshot named after the step once it has done its work, or `<name>-failed` if it threw. */
async function step<T>(name: string, body: () => Promise<T>): Promise<T> {
  try {
    const value = await body();
    await shot(name);
    return value;
  } catch (err) {
    await shot(`${name}-failed`).catch(() => undefined);
    throw err;
  }
}

/** A test whose failure keeps the server's logs. */
function e2e(name: string, timeout: number, body: () => Promise<void>): void {
  test(name, { timeout }, async () => {
    try {
      await body();
    } catch (err) {
      failed = true;
      await shot(`failed-${name.replace(/\W+/g, '-')}`).catch(() => undefined);
      throw err;
    }
  });
}

e2e('inspect a phrase selected in story.txt from the command palette', 180_000, async () => {
  await step('1-opened', () => openFromExplorer(page, 'story.txt'));
  // Line 1: "Once upon a time, there was a little girl named Lily …"; the phrase starts at column 19.
  await step('2-selected', () => selectWithKeyboard(page, 1, 19, 'there was a little girl'.length));
  assert.match(await selectionStatus(page), /23 selected/);
  await step('3-ran-from-palette', () => runFromPalette(page, 'Attention Lens: Inspect Selection', () => shot('3-palette')));

  const panel = await step('4-panel', () => panelShowing('there was a little girl'));
  const layers = await panel.locator('dd[data-fact="layers"]').textContent();
  const heads = await panel.locator('dd[data-fact="heads"]').textContent();
  const tokens = await panel.locator('.al-token').allTextContents();
  console.log(`panel: ${layers} layers, ${heads} heads, tokens ${JSON.stringify(tokens)}`);
  assert.equal(layers, '2');
  assert.equal(heads, '8');
  assert.equal(tokens[0], '<|start_story|>');
  assert.ok(joined(tokens).includes('there was a little girl'), joined(tokens));
});

e2e('inspect a phrase selected with the mouse through the keybinding', 120_000, async () => {
  // Line 2: "One day, she saw a big red ball under a tree. …"; the phrase starts at column 10.
  await step('5-mouse-selected', () => selectWithMouse(page, 2, 10, 'she saw a big red ball'.length));
  assert.match(await selectionStatus(page), /22 selected/);
  await page.keyboard.press('Control+Alt+a');
  await step('6-keybinding', () => panelShowing('she saw a big red ball'));
});

e2e('inspect from the editor context menu', 120_000, async () => {
  await step('7-keyboard-selected', () => selectWithKeyboard(page, 1, 1, 'Once upon a time'.length));
  const item = page.locator('.context-view .monaco-menu .action-label', { hasText: 'Inspect Selection' });
  await step('8-context-menu', async () => {
    // The text layer above the selection highlight takes the click, as it does for a person.
    const box = await page.locator('.monaco-editor .selected-text').first().boundingBox();
    if (!box) throw new Error('the selection is not visible');
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2, { button: 'right' });
    await item.waitFor();
  });
  await item.click();
  await step('9-context-menu-panel', () => panelShowing('Once upon a time'));
});

e2e('clicking a token in the panel selects its text in the editor', 60_000, async () => {
  const frame = await webviewContent(page, 'Attention Lens');
  const last = frame.locator('.al-token').last();
  const text = (await last.textContent()) ?? '';
  await last.click();
  await step('10-token-revealed', () =>
    waitFor(`the editor to select "${text}"`, async () => (await selectionStatus(page)).includes(`(${text.length} selected)`), { timeoutMs: 10_000 }));
});

/** Waits for the panel to show a finished inspection whose tokens spell `phrase`; returns its frame. */
async function panelShowing(phrase: string) {
  const frame = await webviewContent(page, 'Attention Lens');
  const finished = frame.locator('main[aria-busy="false"] dd[data-fact="layers"]');
  const error = frame.locator('main .error');
  await finished.or(error).first().waitFor({ timeout: 60_000 });
  if (await error.isVisible()) throw new Error(`the panel shows an error: ${await error.textContent()}`);
  await waitFor(`the panel to show "${phrase}"`, async () =>
    joined(await frame.locator('.al-token').allTextContents()).includes(phrase), { timeoutMs: 30_000 });
  return frame;
}

/**
 * The text the non-special tokens spell, with SentencePiece's ▁ and the strip's · read as spaces.
 * Compared with `includes`: the strip labels tokens with the text their offsets cover, and the tiny
 * model's tokenizer gives its leading "▁" token the offsets of the phrase's first character.
 */
function joined(tokens: string[]): string {
  return tokens.filter((t) => !/^<.*>$/.test(t)).join('').replace(/[▁·]/g, ' ').trim();
}
