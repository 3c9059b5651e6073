// End to end: a person opens a file, selects a phrase, runs "Attention Lens: Inspect Selection" from
// the palette and reads the panel. Screenshots of each step go to test-results/e2e/.
import * as assert from 'node:assert/strict';
import { workbenchSession } from '../harness/session';
import { waitFor } from '../harness/wait';
import { openFromExplorer, runFromPalette, selectionStatus, selectWithKeyboard, selectWithMouse, webviewContent } from '../harness/workbench';

const session = workbenchSession('e2e');
const shot = (name: string) => session.shot(name);
const step = <T>(name: string, body: () => Promise<T>) => session.step(name, body);
const e2e = (name: string, timeout: number, body: () => Promise<void>) => session.test(name, timeout, body);

e2e('inspect a phrase selected in story.txt from the command palette', 180_000, async () => {
  await step('1-opened', () => openFromExplorer(session.page, 'story.txt'));
  // Line 1: "Once upon a time, there was a little girl named Lily …"; the phrase starts at column 19.
  await step('2-selected', () => selectWithKeyboard(session.page, 1, 19, 'there was a little girl'.length));
  assert.match(await selectionStatus(session.page), /23 selected/);
  await step('3-ran-from-palette', () => runFromPalette(session.page, 'Attention Lens: Inspect Selection', () => shot('3-palette')));

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
  await step('5-mouse-selected', () => selectWithMouse(session.page, 2, 10, 'she saw a big red ball'.length));
  assert.match(await selectionStatus(session.page), /22 selected/);
  await session.page.keyboard.press('Control+Alt+a');
  await step('6-keybinding', () => panelShowing('she saw a big red ball'));
});

e2e('inspect from the editor context menu', 120_000, async () => {
  await step('7-keyboard-selected', () => selectWithKeyboard(session.page, 1, 1, 'Once upon a time'.length));
  const item = session.page.locator('.context-view .monaco-menu .action-label', { hasText: 'Inspect Selection' });
  await step('8-context-menu', async () => {
    // The text layer above the selection highlight takes the click, as it does for a person.
    const box = await session.page.locator('.monaco-editor .selected-text').first().boundingBox();
    if (!box) throw new Error('the selection is not visible');
    await session.page.mouse.click(box.x + box.width / 2, box.y + box.height / 2, { button: 'right' });
    await item.waitFor();
  });
  await item.click();
  await step('9-context-menu-panel', () => panelShowing('Once upon a time'));
});

e2e('clicking a token in the panel selects its text in the editor', 60_000, async () => {
  const frame = await webviewContent(session.page, 'Attention Lens');
  const last = frame.locator('.al-token').last();
  const text = (await last.textContent()) ?? '';
  await last.click();
  await step('10-token-revealed', async () => {
    // The click can leave the focus in the panel, and the status bar shows a selection only for the
    // focused editor: Ctrl+1 moves to the editor, as a person would to go on typing there.
    await waitFor('the editor to have a selection', async () => (await session.page.locator('.editor-instance .monaco-editor .selected-text').count()) > 0,
      { timeoutMs: 10_000 });
    await session.page.keyboard.press('Control+1');
    await waitFor(`the editor to select "${text}"`, async () => (await selectionStatus(session.page)).includes(`(${text.length} selected)`), { timeoutMs: 10_000 });
  });
});

/** Waits for the panel to show a finished inspection whose tokens spell `phrase`; returns its frame. */
async function panelShowing(phrase: string) {
  const frame = await webviewContent(session.page, 'Attention Lens');
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
