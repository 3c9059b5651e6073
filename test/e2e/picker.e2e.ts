// End to end: a person picks a Hugging Face model by id from "Attention Lens: Select Model", then
// inspects a phrase with it. The harness runs the Hub emulator and hands its URL to code-server as
// HF_ENDPOINT, so the download is real HTTP against a local stand-in. Screenshots of each step go
// to test-results/e2e-picker/.
import * as assert from 'node:assert/strict';
import { startHubEmulator, type RunningHub } from '../harness/hubEmulator';
import { workbenchSession } from '../harness/session';
import { retry, waitFor } from '../harness/wait';
import { openFromExplorer, runFromPalette, selectWithKeyboard, webviewContent } from '../harness/workbench';

const HUB_ID = 'raincandy-u/TinyStories-656K';
let hub: RunningHub | undefined;
const session = workbenchSession('e2e-picker', {
  open: async () => {
    hub = await startHubEmulator();
    // The fixture folder stays the fallback, so an inspection that did not use the chosen id would
    // still succeed; the test tells them apart by what the emulator was asked for.
    return { env: hub.env };
  },
  cleanup: async () => hub?.emulator.stop(),
});
const step = <T>(name: string, body: () => Promise<T>) => session.step(name, body);

session.test('select a Hugging Face model by id, then inspect with it', 180_000, async () => {
  await step('1-opened', () => openFromExplorer(session.page, 'story.txt'));

  const row = (text: string) => session.page.locator('.quick-input-list .monaco-list-row', { hasText: text }).first();
  const input = session.page.locator('.quick-input-widget input.input');
  await step('2-picker', () => retry('open the model picker from the palette', async () => {
    if (!(await input.isVisible())) await session.page.keyboard.press('F1');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill('>Attention Lens: Select Model');
    try {
      await row('Attention Lens: Select Model').click({ timeout: 10_000 });
      // The palette closes and the picker opens in the same widget: wait for the picker's own rows.
      await row('Enter a Hugging Face id').waitFor({ timeout: 10_000 });
      await row('Open a model folder').waitFor({ timeout: 5_000 });
    } catch (err) {
      await session.page.keyboard.press('Escape');
      throw err;
    }
  }));
  const rows = await session.page.locator('.quick-input-list .monaco-list-row').allTextContents();
  console.log(`picker rows: ${JSON.stringify(rows)}`);
  assert.ok(rows.some((r) => r.includes('Default model')), 'the default is offered');
  assert.ok(rows.some((r) => r.includes('sshleifer/tiny-gpt2')), 'catalogue suggestions are offered');

  await row('Enter a Hugging Face id').click();
  await step('3-id-box', async () => {
    await session.page.locator('.quick-input-widget .quick-input-title', { hasText: 'Hugging Face Model' }).waitFor({ timeout: 10_000 });
    await input.fill(HUB_ID);
    // The box validates as one types; a valid id shows no error.
    await session.page.locator('.quick-input-widget .quick-input-message', { hasText: 'Write it as' }).waitFor({ state: 'hidden', timeout: 2_000 });
  });
  await input.press('Enter');
  await session.page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 10_000 });

  // The editor lost focus to the picker; give it back before selecting.
  await session.page.locator('.editor-instance .monaco-editor .view-lines').first().click();
  await step('4-selected', () => selectWithKeyboard(session.page, 1, 19, 'there was a little girl'.length));
  const before = hub!.emulator.requestCount;
  await runFromPalette(session.page, 'Attention Lens: Inspect Selection');

  const panel = await step('5-panel', async () => {
    const frame = await webviewContent(session.page, 'Attention Lens');
    const finished = frame.locator('main[aria-busy="false"] dd[data-fact="layers"]');
    const error = frame.locator('main .error');
    await finished.or(error).first().waitFor({ timeout: 60_000 });
    if (await error.isVisible()) throw new Error(`the panel shows an error: ${await error.textContent()}`);
    return frame;
  });
  const layers = await panel.locator('dd[data-fact="layers"]').textContent();
  const heads = await panel.locator('dd[data-fact="heads"]').textContent();
  const title = await panel.locator('h1').first().textContent().catch(() => null);
  console.log(`panel: ${title ?? '(no title)'}: ${layers} layers, ${heads} heads`);
  assert.equal(layers, '2');
  assert.equal(heads, '8');

  const asked = hub!.emulator.requests.slice(before).map((r) => r.url);
  assert.ok(asked.some((url) => url.includes(`/api/models/${HUB_ID}/`)), `the model came from the Hub: ${JSON.stringify(asked)}`);
  assert.ok(asked.some((url) => url.includes('/resolve/') && url.endsWith('/tokenizer.json')), 'its files were downloaded');
  if (title !== null) assert.match(title, new RegExp(HUB_ID));
  await waitFor('the download notification to go', async () =>
    !(await session.page.locator('.notifications-toasts .notification-toast', { hasText: 'Downloading' }).isVisible()), { timeoutMs: 10_000 });
  await step('6-inspected-with-hub-model', async () => undefined);
});
