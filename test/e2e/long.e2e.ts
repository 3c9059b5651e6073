// End to end, a long selection: a person selects a whole file of about 2,000 tokens and inspects it
// with a model that reads 2,048 tokens at once. The panel draws the first layers while later ones
// are still being computed, the matrix (pooled to its canvas) zooms in, and the editor's hover card
// shows a token's strongest weights. Screenshots go to test-results/e2e-long/.
import * as assert from 'node:assert/strict';
import { TextTokenizer } from '../../src/engine/tokenizer';
import { longContextModel, longTextWorkspace, storyParagraph } from '../harness/longContextModel';
import { workbenchSession } from '../harness/session';
import { waitFor } from '../harness/wait';
import { openFromExplorer, pointAt, runFromPalette, webviewContent } from '../harness/workbench';

const TARGET_TOKENS = 2000;
const model = longContextModel();
let workspace: { folder: string; file: string } | undefined;

const session = workbenchSession('e2e-long', {
  open: async () => {
    // As many paragraphs of the story as make about 2,000 tokens for this model's tokenizer.
    const tokenizer = await TextTokenizer.fromFolder(model);
    const per = tokenizer.encode(`${storyParagraph()}\n\n`).tokens.length;
    workspace = longTextWorkspace('e2e-long', Math.floor(TARGET_TOKENS / per));
    return { folder: workspace.folder, firstFile: workspace.file, env: { ATTENTION_LENS_MODEL: model } };
  },
});
const shot = (name: string) => session.shot(name);

e2e('a 2,000-token selection streams its layers, zooms and shows hover weights', 300_000, async () => {
  const page = session.page;
  await openFromExplorer(page, workspace!.file);
  await page.locator('.monaco-editor textarea').first().focus();
  await page.keyboard.press('Control+A');
  await runFromPalette(page, 'Attention Lens: Inspect Selection');

  // Watch the panel as it fills: how many layers it has, and whether the matrix has pixels yet.
  const frame = await webviewContent(page, 'Attention Lens');
  const app = frame.locator('.al-app');
  const seen: { received: number; painted: boolean }[] = [];
  let layers = 0;
  await waitFor('every layer to arrive', async () => {
    const received = Number(await app.getAttribute('data-layers-received', { timeout: 1_000 }).catch(() => null) ?? 0);
    layers ||= Number((await frame.locator('dd[data-fact="layers"]').textContent({ timeout: 1_000 }).catch(() => null)) ?? 0);
    if (received > 0) {
      const painted = await frame.locator('.al-matrix canvas').first().evaluate((canvas: HTMLCanvasElement) => {
        const ctx = canvas.getContext('2d');
        if (!ctx || canvas.width === 0) return false;
        const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
        for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) return true;
        return false;
      });
      if (seen.at(-1)?.received !== received || seen.at(-1)?.painted !== painted) seen.push({ received, painted });
    }
    return layers > 0 && received === layers && (await app.getAttribute('data-done')) === 'true';
  }, { timeoutMs: 240_000, intervalMs: 40 });
  console.log(`layers as they arrived: ${seen.map((s) => `${s.received}${s.painted ? '+drawn' : ''}`).join(', ')}`);
  assert.ok(layers >= 2, `the model has ${layers} layers`);
  assert.ok(seen.some((s) => s.received > 0 && s.received < layers && s.painted),
    'the matrix was drawn before the last layer arrived');

  const tokens = await frame.locator('.al-token').count();
  console.log(`tokens inspected: ${tokens}`);
  assert.ok(tokens >= TARGET_TOKENS * 0.9 && tokens <= 2048, `${tokens} tokens in one window`);
  const caption = frame.locator('.al-matrix .al-caption');
  await shot('1-long-panel');

  // Zoom: the matrix has fewer pixels than tokens, so it starts pooled; + zooms around the cursor.
  const canvas = frame.locator('.al-matrix canvas').first();
  const before = ((await caption.textContent()) ?? '').trim();
  await canvas.focus();
  for (let i = 0; i < 4; i++) await canvas.press('+');
  await waitFor('the caption to say the matrix is zoomed', async () => /zoomed/i.test((await caption.textContent()) ?? ''), { timeoutMs: 30_000 });
  const after = ((await caption.textContent()) ?? '').trim();
  console.log(`matrix caption: "${before}" → "${after}"`);
  assert.notEqual(after, before);
  await shot('2-zoomed');

  // The editor's hover card over a word of the first line lists its strongest keys.
  const hover = page.locator('.monaco-hover:visible', { hasText: 'Attention Lens' }).first();
  await page.keyboard.press('Escape');
  await waitFor('the Attention Lens hover card', async () => {
    const { x, y } = await pointAt(page, 1, 30);
    await page.mouse.move(x - 3, y);
    await page.mouse.move(x, y, { steps: 3 });
    return hover.waitFor({ timeout: 2_500 }).then(() => true, () => false);
  }, { timeoutMs: 60_000, intervalMs: 200 });
  const rows = hover.locator('table tbody tr');
  await waitFor('weights in the card', async () => (await rows.count()) > 0, { timeoutMs: 20_000 });
  const texts = (await rows.allTextContents()).map((r) => r.trim());
  console.log(`hover card: ${texts.join(' | ')}`);
  assert.equal(texts.length, 5);
  assert.ok(texts.every((t) => /\d/.test(t)), 'each row shows a weight');
  await shot('3-hover');
});

function e2e(name: string, timeout: number, body: () => Promise<void>): void {
  session.test(name, timeout, body);
}
