// One end-to-end file's workbench: code-server, a Chromium page on the test workspace, screenshots
// of each step, and the server's logs kept whenever something failed.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test, type TestContext } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, newLoggedPage } from './browser';
import { CodeServer } from './codeServer';
import type { LanguagePack } from './languagePack';
import { modelFixture, repoRoot, resultsRoot, workspaceFixture } from './paths';
import { quietSettings } from './profile';
import { waitForWorkbench } from './workbench';

export interface OpenOptions {
  /** Names the server's run folder and logs; the session's name by default. */
  name?: string;
  /** Extra environment for code-server and its extension hosts. */
  env?: Record<string, string>;
  /** Serve this extensions folder and load no development extension (an installed VSIX). */
  extensionsDir?: string;
  /** Run VS Code in this display language (a generated language pack and `--locale`). */
  languagePack?: LanguagePack;
  /** Open this folder instead of the test workspace, and wait for the explorer to list `firstFile`. */
  folder?: string;
  firstFile?: string;
}

export class WorkbenchSession {
  readonly shots: string;
  server: CodeServer | undefined;
  browser: Browser | undefined;
  page!: Page;
  /** Set by a failing step or test: the server's logs are then kept. */
  failed = false;

  constructor(readonly name: string) {
    this.shots = path.join(resultsRoot, name);
  }

  /** Starts code-server and opens the test workspace in the browser, with this repository as the development extension. */
  async open(options: OpenOptions = {}): Promise<void> {
    this.browser ??= await launchChromium();
    this.server = await CodeServer.start({
      name: options.name ?? this.name,
      env: { ATTENTION_LENS_MODEL: process.env.ATTENTION_LENS_MODEL ?? modelFixture, ...options.env },
      settings: quietSettings,
      extensionsDir: options.extensionsDir,
      languagePack: options.languagePack,
    });
    this.page = await newLoggedPage(this.browser, this.server.logDir);
    await this.page.goto(this.server.workbenchUrl({
      folder: options.folder ?? workspaceFixture,
      extensionDevelopmentPath: options.extensionsDir ? undefined : repoRoot,
    }));
    await waitForWorkbench(this.page, options.firstFile ?? 'story.txt');
  }

  /** Stops the server (the browser stays for a later open). */
  async stopServer(): Promise<void> {
    await this.page?.close().catch(() => undefined);
    await this.server?.stop({ keepLogs: this.failed });
    if (this.failed && this.server) console.log(`logs kept in ${path.relative(process.cwd(), this.server.logDir)}`);
    this.server = undefined;
  }

  async close(): Promise<void> {
    await this.stopServer();
    await this.browser?.close().catch(() => undefined);
  }

  async shot(name: string): Promise<void> {
    await this.page.screenshot({ path: path.join(this.shots, `${name}.png`) });
  }

  /** Runs a step and screenshots it under its name, or as `<name>-failed` when it throws. */
  async step<T>(name: string, body: () => Promise<T>): Promise<T> {
    try {
      const value = await body();
      await this.shot(name);
      return value;
    } catch (err) {
      this.failed = true;
      await this.shot(`${name}-failed`).catch(() => undefined);
      throw err;
    }
  }

  /** A test whose failure keeps the logs and a screenshot. */
  test(name: string, timeout: number, body: (t: TestContext) => Promise<void>): void {
    test(name, { timeout }, async (t) => {
      try {
        await body(t);
      } catch (err) {
        this.failed = true;
        await this.shot(`failed-${name.replace(/\W+/g, '-')}`).catch(() => undefined);
        throw err;
      }
    });
  }
}

/**
 * A session for the calling e2e file: empties its screenshot folder and opens the workbench before
 * the tests, and closes everything after them. `open` supplies the options (it may start a Hub emulator first).
 */
export function workbenchSession(
  name: string,
  options: { open?: () => OpenOptions | Promise<OpenOptions>; openAtStart?: boolean; cleanup?: () => Promise<void> } = {},
): WorkbenchSession {
  const session = new WorkbenchSession(name);
  before(async () => {
    // A failure while starting (no code-server, no chromium) keeps the logs too.
    session.failed = true;
    fs.rmSync(session.shots, { recursive: true, force: true });
    fs.mkdirSync(session.shots, { recursive: true });
    if (options.openAtStart !== false) await session.open(await options.open?.());
    else session.browser = await launchChromium();
    session.failed = false;
  });
  after(async () => {
    await session.close();
    await options.cleanup?.();
  });
  return session;
}
