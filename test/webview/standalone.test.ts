// The page `attention-lens inspect --html` writes, opened from disk in real Chromium with the network
// cut off: the four views render from the embedded report, and the tooltip reads the report's values.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { HTML_MAX_ERROR } from '../../src/report/htmlFormat';
import type { Report } from '../../src/report/report';
import { formatWeight, tokenLabel } from '../../webview/views/format';
import { CLI, MODELS_DIR } from '../unit/fixtures';
import { launch } from './page';
import { HEADS, hoverCell, MATRIX, MODEL, pixels } from './probes';

const TINY = path.join(MODELS_DIR, 'tinystories-656k');
const STORY =
  'Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her red ball and her dog, Max. ' +
  'One day, the sun was hot and Max was sad.';

function cli(...args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [CLI, ...args], (err, _stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve()));
  });
}

let browser: Browser;
let report: Report;
const pages: Record<'float32' | 'uint8', string> = { float32: '', uint8: '' };

before(async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'attention-standalone-'));
  const json = path.join(dir, 'story.json');
  pages.float32 = path.join(dir, 'story.html');
  pages.uint8 = path.join(dir, 'story-uint8.html');
  [browser] = await Promise.all([
    launch(),
    cli('inspect', '--model', TINY, '--text', STORY, '--provider', 'cpu', '--quiet', '--out', json, '--html', pages.float32),
    cli('inspect', '--model', TINY, '--text', STORY, '--provider', 'cpu', '--quiet', '--html', pages.uint8, '--html-precision', 'uint8'),
  ]);
  report = JSON.parse(readFileSync(json, 'utf8')) as Report;
  mkdirSync('test-results', { recursive: true });
});
after(() => browser?.close());

/** Opens a page file with every non-file request refused and recorded; waits until all layers are in. */
async function open(file: string, colorScheme: 'dark' | 'light' = 'dark') {
  const page: Page = await browser.newPage({ viewport: { width: 1280, height: 1100 }, colorScheme });
  const requests: string[] = [];
  const errors: string[] = [];
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith('file:')) return route.continue();
    requests.push(url);
    return route.abort();
  });
  page.on('request', (request) => {
    if (!request.url().startsWith('file:') && !requests.includes(request.url())) requests.push(request.url());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  // Any content-security-policy violation (a blocked inline style, script or fetch) is a failure too.
  await page.addInitScript(
    "globalThis.__name = (t) => t; globalThis.__violations = []; document.addEventListener('securitypolicyviolation', (e) => globalThis.__violations.push(e.violatedDirective + ' ' + e.blockedURI));",
  );
  await page.goto(pathToFileURL(file).href);
  await page.waitForFunction(() => document.body.dataset.loaded === '2');
  await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
  const violations = () => page.evaluate(() => (globalThis as unknown as { __violations: string[] }).__violations);
  return { page, requests, errors, violations };
}

/** How many distinct colours a canvas shows: a blank canvas has one. */
async function colourCount(page: Page, selector: string): Promise<number> {
  return page.$eval(selector, (el) => {
    const canvas = el as HTMLCanvasElement;
    const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    const seen = new Set<number>();
    for (let i = 0; i < data.length; i += 4) seen.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
    return seen.size;
  });
}

function tooltipValue(text: string): number {
  return Number(text.slice(text.lastIndexOf(': ') + 2));
}

test('the page renders all four views from disk with the network cut off', async () => {
  const { page, requests, errors, violations } = await open(pages.float32);
  const T = report.tokens.length;
  const labels = report.tokens.map((token) => tokenLabel(token, report.text));

  // Token strip: every token, in order, spelt as the panel spells it.
  assert.deepEqual(await page.locator('.al-strip .al-token').allTextContents(), labels);
  // Matrix, head view and model view: drawn, not blank.
  assert.equal(await page.$eval('.al-matrix', (el) => (el as HTMLElement).dataset.size), String(T));
  assert.ok((await colourCount(page, MATRIX)) > 20, 'the matrix has a heat map');
  assert.ok((await colourCount(page, HEADS)) > 10, 'the head view has lines');
  assert.equal(await page.$eval('.al-model', (el) => (el as HTMLElement).dataset.painted), String(report.model.layers * report.model.heads));
  assert.ok((await colourCount(page, MODEL)) > 20, 'the model view has thumbnails');
  assert.equal(await page.locator('.al-progress').isVisible(), false, 'every layer arrived');

  // The tooltip reads the report's own numbers: layer 0, head 0 by default; float32 is exact.
  const head0 = report.attention[0][0];
  for (const [r, c] of [[3, 2], [10, 0], [T - 1, T - 2], [T - 1, 5], [12, 12]]) {
    const text = await hoverCell(page, r, c);
    assert.equal(text, `${labels[r]} → ${labels[c]}: ${formatWeight(head0[r][c])}`);
  }
  await page.locator(MATRIX).hover({ position: { x: 1, y: 1 } });
  await hoverCell(page, 14, 6);
  await page.screenshot({ path: 'test-results/webview-standalone.png', fullPage: true });

  assert.deepEqual(requests, [], 'nothing was requested beyond the file itself');
  assert.deepEqual(await violations(), [], 'no content-security-policy violations');
  assert.deepEqual(errors, []);
  await page.close();
});

test('a uint8 page shows the report within its error bound; a light preference gives light colours', async () => {
  const { page, requests, errors, violations } = await open(pages.uint8, 'light');
  const T = report.tokens.length;
  const bound = HTML_MAX_ERROR.uint8 + 0.0005; // quantisation, plus the tooltip's three decimals
  const head0 = report.attention[0][0];
  let worst = 0;
  for (const [r, c] of [[3, 2], [10, 0], [T - 1, T - 2], [T - 1, 5], [20, 19], [7, 1]]) {
    const shown = tooltipValue(await hoverCell(page, r, c));
    worst = Math.max(worst, Math.abs(shown - head0[r][c]));
  }
  assert.ok(worst <= bound, `tooltip values within ${bound.toFixed(4)} of the report (worst ${worst.toFixed(5)})`);
  assert.deepEqual((await pixels(page, MATRIX, 1, 1, 1, 1)).slice(0, 3), [255, 255, 255], 'the light editor background');
  assert.match(await page.locator('.al-page-header').innerText(), /uint8 \(error ≤ 0\.0020\)/);
  await page.screenshot({ path: 'test-results/webview-standalone-light.png', fullPage: true });
  assert.deepEqual(requests, []);
  assert.deepEqual(await violations(), []);
  assert.deepEqual(errors, []);
  await page.close();
});
