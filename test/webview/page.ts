// Builds the test page (the views bundled with esbuild into a temporary folder) and opens it in
// Debian's Chromium through playwright-core. Shared by the webview tests and the webview bench.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { Harness } from './harness';
import type { SyntheticSpec } from './synthetic';

const here = path.dirname(new URL(import.meta.url).pathname);
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Bundles the harness page into a fresh temporary folder; returns the page's file URL. */
export async function buildHarness(): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attention-webview-'));
  await esbuild.build({
    entryPoints: [path.join(here, 'harness.ts')],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    outfile: path.join(dir, 'harness.js'),
    logLevel: 'error',
  });
  fs.copyFileSync(path.join(here, 'harness.css'), path.join(dir, 'harness.css'));
  fs.writeFileSync(
    path.join(dir, 'index.html'),
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Attention views</title>' +
      '<link rel="stylesheet" href="harness.css"></head>' +
      '<body class="vscode-dark"><div id="root"></div><script src="harness.js"></script></body></html>',
  );
  return pathToFileURL(path.join(dir, 'index.html')).href;
}

export async function launch(): Promise<Browser> {
  if (!fs.existsSync(chromiumPath)) throw new Error(`Chromium not found at ${chromiumPath} (apt-get install chromium, or set CHROMIUM_PATH)`);
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
  });
}

/** A page with the views mounted; page errors fail loudly through `errors`. */
export async function openViews(
  browser: Browser,
  url: string,
  options: { locale?: string; width?: number; height?: number; deviceScaleFactor?: number; beforeLoad?: string } = {},
): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: options.width ?? 1280, height: options.height ?? 1000 }, deviceScaleFactor: options.deviceScaleFactor });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  // tsx compiles the tests with esbuild's keepNames, which wraps named functions in `__name(…)`;
  // functions passed to page.evaluate carry that call into the page, so give the page a no-op one.
  await page.addInitScript('globalThis.__name = (target) => target;');
  // A script of the test's own that runs before the page's (e.g. one that watches what the page creates).
  if (options.beforeLoad) await page.addInitScript(options.beforeLoad);
  await page.goto(url);
  await page.evaluate((options) => window.harness.mount(options), { locale: options.locale });
  return { page, errors };
}

/** Starts an inspection and streams layers [0, count) into it, then calls done() unless told not to. */
export async function feed(page: Page, spec: SyntheticSpec, count = spec.layers, finish = true): Promise<void> {
  await page.evaluate(
    ({ spec, count, finish }) => {
      const h = window.harness;
      h.inspect(spec);
      h.layers(0, count);
      if (finish) h.done();
      return h.frame();
    },
    { spec, count, finish },
  );
}

/** Waits until pending redraws have run. */
export async function settle(page: Page): Promise<void> {
  await page.evaluate(() => window.harness.frame());
}

declare global {
  interface Window {
    /** The test page's harness (test/webview/harness.ts). */
    harness: Harness;
  }
}
