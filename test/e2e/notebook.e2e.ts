// End to end, a notebook: the Python helper turns a fixture's golden attention into a saved .ipynb
// (as an executed cell would leave it) in a fresh workspace; a person opens it in VS Code's notebook
// editor, with no kernel, and reads the output the extension's renderer draws: the four views, the
// tokens as the report spells them, the matrix tooltip's weights, and a layer switch from the picker.
// Screenshots go to test-results/e2e-notebook/.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { FrameLocator } from 'playwright-core';
import { modelFixture } from '../harness/paths';
import { writeNotebook } from '../harness/pythonHelper';
import { workbenchSession } from '../harness/session';
import { retry, waitFor } from '../harness/wait';
import { golden } from '../unit/fixtures';
import { formatWeight, tokenLabel } from '../../webview/views/format';

const NOTEBOOK = 'attention.ipynb';
const prompt = golden(path.basename(modelFixture))[0];
const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'attention-notebook-'));

// The cell a person would run, fed the golden attention instead of a live model.
const CELL = `
import json, sys
import numpy as np
import attention_lens
prompt = json.load(open(sys.argv[1]))["prompts"][0]
view = attention_lens.show(np.array(prompt["attentions"]), prompt["tokens"], text=prompt["text"], model="${path.basename(modelFixture)}")
`;

const session = workbenchSession('e2e-notebook', {
  open: async () => {
    await writeNotebook(path.join(workspace, NOTEBOOK), CELL, path.join(modelFixture, 'golden.json'));
    return { folder: workspace, firstFile: NOTEBOOK };
  },
  cleanup: async () => fs.rmSync(workspace, { recursive: true, force: true }),
});
const shots = session.shots;

/** The golden tokens as the views label them, from the golden offsets into the golden text. */
const labels = prompt.tokens.map((text, i) => {
  const [start, end] = prompt.offsets[i];
  return tokenLabel({ id: prompt.input_ids[i], text, start, end, special: i === 0 }, prompt.text);
});

/** The notebook's output webview (VS Code nests the outputs' page in `#active-frame`). */
async function outputFrame(): Promise<FrameLocator> {
  const host = session.page.locator('iframe.webview').first();
  await host.waitFor({ state: 'attached', timeout: 60_000 });
  return host.contentFrame().locator('#active-frame').contentFrame();
}

async function matrixTooltip(frame: FrameLocator, r: number, c: number): Promise<string> {
  const canvas = frame.locator('.al-matrix canvas').first();
  const { gutter, cell } = await canvas.evaluate((el: HTMLCanvasElement) => ({ gutter: Number(el.dataset.gutter), cell: Number(el.dataset.cell) }));
  await canvas.hover({ position: { x: gutter + cell * (c + 0.5), y: gutter + cell * (r + 0.5) } });
  const tooltip = frame.locator('.al-matrix .al-tooltip');
  await tooltip.waitFor({ state: 'visible', timeout: 5_000 });
  return ((await tooltip.textContent()) ?? '').trim();
}

async function canvasHash(frame: FrameLocator, selector: string): Promise<{ painted: number; hash: number }> {
  return frame.locator(selector).first().evaluate((canvas: HTMLCanvasElement) => {
    const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
    let painted = 0;
    let hash = 2166136261;
    for (let i = 0; i < data.length; i += 4) {
      if (data[i + 3] !== 0) painted++;
      hash = Math.imul(hash ^ (data[i] | (data[i + 1] << 8) | (data[i + 2] << 16)), 16777619) >>> 0;
    }
    return { painted, hash };
  });
}

session.test('a saved notebook shows the helper output with the Attention Lens views, no kernel running', 240_000, async () => {
  const page = session.page;
  // Tall enough for the whole output: the notebook scrolls its outputs' frame, not the frame itself.
  await page.setViewportSize({ width: 1400, height: 2000 });
  const frame = await session.step('1-open-notebook', async () => {
    // A click before the extensions' notebook types are registered opens the file as text: close
    // that editor and open it again, until the notebook editor takes it.
    await retry('the notebook editor', async (n) => {
      await page.getByRole('treeitem', { name: NOTEBOOK }).click();
      await page.locator('.tabs-container .tab', { hasText: NOTEBOOK }).waitFor();
      const notebook = page.locator('.notebookOverlay').first();
      const text = page.locator('#status\\.editor\\.mode', { hasText: 'JSON' });
      await notebook.or(text).first().waitFor({ timeout: 30_000 }).catch(async (err: unknown) => {
        await session.shot(`open-attempt-${n}`);
        throw err;
      });
      if (await notebook.isVisible()) return;
      await page.locator('.tabs-container .tab', { hasText: NOTEBOOK }).locator('.codicon-close').click();
      await page.locator('.tabs-container .tab', { hasText: NOTEBOOK }).waitFor({ state: 'detached' });
      throw new Error(`${NOTEBOOK} opened as text`);
    }, 5);
    const frame = await outputFrame();
    const output = frame.locator('.al-notebook-output');
    await output.first().waitFor({ timeout: 90_000 });
    await frame.locator(`.al-notebook-output[data-loaded="${prompt.attentions.length}"], .al-notebook-output[data-failed]`).first().waitFor({ timeout: 60_000 });
    const failed = frame.locator('.al-notebook-error');
    if (await failed.count()) throw new Error(`the output shows an error: ${await failed.textContent()}`);
    return frame;
  });

  await session.step('2-four-views', async () => {
    assert.deepEqual(await frame.locator('.al-strip .al-token').allTextContents(), labels, 'the token strip reads as the report');
    const layers = prompt.attentions.length;
    const heads = prompt.attentions[0].length;
    for (const selector of ['.al-matrix canvas', '.al-heads canvas', '.al-model canvas']) {
      assert.ok((await canvasHash(frame, selector)).painted > 0, `${selector} is blank`);
    }
    assert.equal(await frame.locator('.al-matrix').getAttribute('data-size'), String(labels.length));
    assert.equal(await frame.locator('.al-model').getAttribute('data-painted'), String(layers * heads), 'one thumbnail per layer and head');
    await frame.locator('.al-strip-section').screenshot({ path: path.join(shots, 'strip.png') });
    await frame.locator('.al-heads').screenshot({ path: path.join(shots, 'heads.png') });
    await frame.locator('.al-model').screenshot({ path: path.join(shots, 'model.png') });
  });

  await session.step('3-matrix-tooltip', async () => {
    const T = labels.length;
    for (const [r, c] of [[T - 1, 0], [5, 3], [T - 1, T - 1]]) {
      const tip = await matrixTooltip(frame, r, c);
      const expected = prompt.attentions[0][0][r][c];
      assert.equal(tip, `${labels[r]} → ${labels[c]}: ${formatWeight(expected)}`);
      console.log(`layer 0 head 0 [${r}, ${c}]: ${tip} (golden ${expected})`);
    }
    await frame.locator('.al-matrix').screenshot({ path: path.join(shots, 'matrix-tooltip.png') });
  });

  await session.step('4-layer-switch', async () => {
    const before = await canvasHash(frame, '.al-matrix canvas');
    await frame.locator('.al-toolbar vscode-single-select').nth(0).click();
    await frame.getByRole('option', { name: 'Layer 1', exact: true }).click();
    await waitFor('layer 1 in the caption', async () => /Layer 1/.test((await frame.locator('.al-matrix .al-caption').textContent()) ?? ''), { timeoutMs: 10_000 });
    await waitFor('the matrix redrawn', async () => (await canvasHash(frame, '.al-matrix canvas')).hash !== before.hash, { timeoutMs: 10_000 });
    const T = labels.length;
    const tip = await matrixTooltip(frame, T - 1, 2);
    assert.equal(tip, `${labels[T - 1]} → ${labels[2]}: ${formatWeight(prompt.attentions[1][0][T - 1][2])}`);
    await frame.locator('.al-matrix').screenshot({ path: path.join(shots, 'matrix-layer1.png') });
  });
});
