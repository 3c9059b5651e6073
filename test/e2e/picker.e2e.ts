// End to end: a person picks a Hugging Face model by id from "Attention Lens: Select Model", then
// inspects a phrase with it. The harness runs the Hub emulator and hands its URL to code-server as
// HF_ENDPOINT, so the download is real HTTP against a local stand-in. Screenshots of each step go
// to test-results/e2e-picker/.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, newLoggedPage } from '../harness/browser';
import { CodeServer } from '../harness/codeServer';
import { startHubEmulator, type RunningHub } from '../harness/hubEmulator';
import { modelFixture, repoRoot, resultsRoot, workspaceFixture } from '../harness/paths';
import { quietSettings } from '../harness/profile';
import { retry, waitFor } from '../harness/wait';
import { openFromExplorer, runFromPalette, selectWithKeyboard, waitForWorkbench, webviewContent } from '../harness/workbench';

const HUB_ID = 'raincandy-u/TinyStories-656K';
const shots = path.join(resultsRoot, 'e2e-picker');
let hub: RunningHub | undefined;
let server: CodeServer | undefined;
let browser: Browser | undefined;
let page: Page;
let failed = false;

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: path.join(shots, `${name}.png`) });
}

before(async () => {
  failed = true;
  fs.rmSync(shots, { recursive: true, force: true });
  fs.mkdirSync(shots, { recursive: true });
  hub = await startHubEmulator();
  server = await CodeServer.start({
    name: 'e2e-picker',
    // The fixture folder stays the fallback, so an inspection that did not use the chosen id would
    // still succeed; the test tells them apart by what the emulator was asked for.
    env: { ATTENTION_LENS_MODEL: process.env.ATTENTION_LENS_MODEL ?? modelFixture, ...hub.env },
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
  await hub?.emulator.stop();
  if (failed && server) console.log(`logs kept in ${path.relative(process.cwd(), server.logDir)}`);
});

async function step<T>(name: string, body: () => Promise<T>): Promise<T> {
  try {
    const value = await body();
    await shot(name);
    return value;
  } catch (err) {
    failed = true;
    await shot(`${name}-failed`).catch(() => undefined);
    throw err;
  }
}

test('select a Hugging Face model by id, then inspect with it', { timeout: 180_000 }, async () => {
  await step('1-opened', () => openFromExplorer(page, 'story.txt'));

  const row = (text: string) => page.locator('.quick-input-list .monaco-list-row', { hasText: text }).first();
  const input = page.locator('.quick-input-widget input.input');
  await step('2-picker', () => retry('open the model picker from the palette', async () => {
    if (!(await input.isVisible())) await page.keyboard.press('F1');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill('>Attention Lens: Select Model');
    try {
      await row('Attention Lens: Select Model').click({ timeout: 10_000 });
      // The palette closes and the picker opens in the same widget: wait for the picker's own rows.
      await row('Enter a Hugging Face id').waitFor({ timeout: 10_000 });
      await row('Open a model folder').waitFor({ timeout: 5_000 });
    } catch (err) {
      await page.keyboard.press('Escape');
      throw err;
    }
  }));
  const rows = await page.locator('.quick-input-list .monaco-list-row').allTextContents();
  console.log(`picker rows: ${JSON.stringify(rows)}`);
  assert.ok(rows.some((r) => r.includes('Default model')), 'the default is offered');
  assert.ok(rows.some((r) => r.includes('sshleifer/tiny-gpt2')), 'catalogue suggestions are offered');

  await row('Enter a Hugging Face id').click();
  await step('3-id-box', async () => {
    await page.locator('.quick-input-widget .quick-input-title', { hasText: 'Hugging Face Model' }).waitFor({ timeout: 10_000 });
    await input.fill(HUB_ID);
    // The box validates as one types; a valid id shows no error.
    await page.locator('.quick-input-widget .quick-input-message', { hasText: 'Write it as' }).waitFor({ state: 'hidden', timeout: 2_000 });
  });
  await input.press('Enter');
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 10_000 });

  // The editor lost focus to the picker; give it back before selecting.
  await page.locator('.editor-instance .monaco-editor .view-lines').first().click();
  await step('4-selected', () => selectWithKeyboard(page, 1, 19, 'there was a little girl'.length));
  const before = hub!.emulator.requestCount;
  await runFromPalette(page, 'Attention Lens: Inspect Selection');

  const panel = await step('5-panel', async () => {
    const frame = await webviewContent(page, 'Attention Lens');
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
    !(await page.locator('.notifications-toasts .notification-toast', { hasText: 'Downloading' }).isVisible()), { timeoutMs: 10_000 });
  await step('6-inspected-with-hub-model', async () => undefined);
});
