// Debian's chromium driven by playwright-core: headless, no sandbox (containers run as root), and
// nothing that reaches the network on its own.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { chromiumPath } from './paths';

export async function launchChromium(): Promise<Browser> {
  if (!fs.existsSync(chromiumPath)) {
    throw new Error(`Chromium is not installed at ${chromiumPath} (apt-get install chromium, or set CHROMIUM_PATH).`);
  }
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
      '--disable-background-networking', '--disable-component-update',
    ],
  });
}

/** A page whose console output and page errors go to `logDir/browser-console.log`. */
export async function newLoggedPage(browser: Browser, logDir: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  const log = fs.createWriteStream(path.join(logDir, 'browser-console.log'), { flags: 'a' });
  page.on('console', (message) => log.write(`[${message.type()}] ${message.text()}\n`));
  page.on('pageerror', (error) => log.write(`[pageerror] ${error.stack ?? error.message}\n`));
  page.on('close', () => log.end());
  return page;
}
