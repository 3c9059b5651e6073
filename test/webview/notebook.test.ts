// The notebook renderer in real Chromium, fed what a notebook holds: the round trip
// `attention-lens inspect --out report.json` → attention_lens.load → show → the renderer, whose
// tooltips read the report's own weights; the model view and keyboard pick other heads; the
// compact encodings decode within their stated error; a malformed output says what is wrong.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import type { Report } from '../../src/report/report';
import { formatWeight, tokenLabel } from '../../webview/views/format';
import { runPython } from '../harness/pythonHelper';
import { CLI, MODELS_DIR } from '../unit/fixtures';
import { launch } from './page';
import { hoverCell, MATRIX, thumbnailCentre } from './probes';
import { openRendererPage, renderOutput } from './rendererPage';

const TINY = path.join(MODELS_DIR, 'tinystories-656k');
const STORY = 'Lily had a red ball. She gave the ball to Tom because he was sad, and Tom smiled at her.';

function cli(...args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [CLI, ...args], (err, _stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve()));
  });
}

// Loads the CLI's report with the helper and writes the MIME document of show() for each precision.
const SHOW = `
import json, sys
import attention_lens
report = attention_lens.load(sys.argv[1])
for precision in ("auto", "float16", "uint8"):
    bundle = attention_lens.show(report, precision=precision)._repr_mimebundle_()
    with open(sys.argv[2] + "-" + precision + ".json", "w") as f:
        json.dump(bundle[attention_lens.MIME_TYPE], f)
`;

let browser: Browser;
let report: Report;
const outputs = new Map<string, Buffer>();

before(async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'attention-notebook-'));
  const json = path.join(dir, 'report.json');
  [browser] = await Promise.all([launch(), cli('inspect', '--model', TINY, '--text', STORY, '--provider', 'cpu', '--quiet', '--out', json)]);
  await runPython(SHOW, json, path.join(dir, 'output'));
  report = JSON.parse(readFileSync(json, 'utf8')) as Report;
  for (const precision of ['auto', 'float16', 'uint8']) outputs.set(precision, readFileSync(path.join(dir, `output-${precision}.json`)));
  outputs.set('broken', Buffer.from(JSON.stringify({ format: 'attention-lens/v1', model: { id: 'x', layers: 1, heads: 2 }, text: 'a', tokens: [{ id: 1, text: 'a', start: 0, end: 1, special: false }], attention: [[[[1]]]] })));
  mkdirSync('test-results', { recursive: true });
});
after(() => browser?.close());

const thumbnails = () => report.model.layers * report.model.heads;
const labels = () => report.tokens.map((token) => tokenLabel(token, report.text));

test('CLI report → load → show → renderer: the tooltips read the report’s weights', async () => {
  const { page, errors } = await openRendererPage(browser, outputs);
  await renderOutput(page, 'auto', thumbnails());
  const names = labels();
  const T = names.length;
  assert.deepEqual(await page.locator('.al-strip .al-token').allTextContents(), names, 'the strip spells the tokens as the panel does');
  assert.equal(await page.locator('.al-notebook-summary').textContent(), `${report.model.id} · ${T} tokens · ${report.model.layers} layers × ${report.model.heads} heads`);
  for (const [r, c] of [[T - 1, 0], [T - 1, T - 2], [7, 3], [12, 12]]) {
    assert.equal(await hoverCell(page, r, c), `${names[r]} → ${names[c]}: ${formatWeight(report.attention[0][0][r][c])}`);
  }

  // A click on the model view's thumbnail picks that layer and head for the matrix, as in the panel.
  const layer = report.model.layers - 1;
  const head = report.model.heads - 1;
  const { x, y } = await thumbnailCentre(page, layer, head);
  await page.mouse.click(x, y);
  await page.waitForFunction(([l, h]) => document.querySelector('.al-matrix .al-caption')?.textContent === `Layer ${l}, head ${h}`, [layer, head]);
  assert.equal(await hoverCell(page, T - 1, 4), `${names[T - 1]} → ${names[4]}: ${formatWeight(report.attention[layer][head][T - 1][4])}`);

  // Keyboard: arrow to a token in the strip, Enter locks it, Escape unlocks.
  await page.mouse.move(0, 0);
  await page.locator('.al-strip').focus();
  for (const key of ['Home', 'ArrowRight', 'ArrowRight', 'Enter']) await page.keyboard.press(key);
  const hint = page.locator('.al-strip-section .al-note');
  assert.equal(await hint.textContent(), `Locked on “${names[2]}”: Esc or click it again to unlock.`);
  await page.keyboard.press('Escape');
  assert.doesNotMatch((await hint.textContent()) ?? '', /Locked/);

  await page.locator(MATRIX).hover({ position: { x: 1, y: 1 } });
  await hoverCell(page, T - 1, 2);
  await page.screenshot({ path: 'test-results/webview-notebook-renderer.png', fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

test('float16 and uint8 outputs show weights within their stated error', async () => {
  const names = labels();
  const T = names.length;
  for (const [precision, bound] of [['float16', 2 ** -12], ['uint8', 1 / 510]] as const) {
    const { page, errors } = await openRendererPage(browser, outputs);
    await renderOutput(page, precision, thumbnails());
    const stored = JSON.parse(outputs.get(precision)!.toString('utf8')) as { attention: { precision: string; layout: string } };
    assert.equal(stored.attention.precision, precision);
    assert.equal(stored.attention.layout, 'causal', 'a causal model keeps only the lower triangle');
    for (const [r, c] of [[T - 1, 0], [9, 9], [15, 2]]) {
      const text = await hoverCell(page, r, c);
      const shown = Number(text.slice(text.lastIndexOf(': ') + 2));
      // Three decimals on screen: the stored error plus half a displayed step.
      assert.ok(Math.abs(shown - report.attention[0][0][r][c]) <= bound + 0.0005 + 1e-9, `${precision} [${r}, ${c}]: ${text} vs ${report.attention[0][0][r][c]}`);
    }
    assert.deepEqual(errors, []);
    await page.close();
  }
});

test('a malformed output shows what is wrong instead of a blank cell', async () => {
  const { page } = await openRendererPage(browser, outputs);
  await assert.rejects(renderOutput(page, 'broken', 2), /layer 0 must hold 2 heads/);
  assert.match((await page.locator('.al-notebook-error').textContent()) ?? '', /could not be shown: layer 0 must hold 2 heads/);
  await page.close();
});
