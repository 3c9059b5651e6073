// `npm run test:integration`: runs the mocha suite of test/integration inside the extension host of
// code-server, loaded as `extensionTestsPath` by a headless chromium. Exits with the suite's code.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { launchChromium, newLoggedPage } from './browser';
import { CodeServer } from './codeServer';
import { startHubEmulator } from './hubEmulator';
import { integrationBundle, modelFixture, repoRoot, resultsRoot, workspaceFixture } from './paths';
import { quietSettings } from './profile';

const SUITE_TIMEOUT_MS = Number(process.env.ATTENTION_LENS_SUITE_TIMEOUT_MS ?? 10 * 60_000);

async function main(): Promise<number> {
  const started = Date.now();
  if (!fs.existsSync(path.join(integrationBundle, 'index.js'))) {
    throw new Error('The integration suite is not built: run `node --import tsx test/harness/build-tests.ts`.');
  }
  const resultsDir = path.join(resultsRoot, 'integration');
  fs.mkdirSync(resultsDir, { recursive: true });
  const report = path.join(resultsDir, 'report.txt');
  for (const stale of [report, path.join(resultsDir, 'failure.png')]) fs.rmSync(stale, { force: true });

  const hub = await startHubEmulator();
  const server = await CodeServer.start({
    name: 'integration',
    env: { ATTENTION_LENS_MODEL: process.env.ATTENTION_LENS_MODEL ?? modelFixture, ATTENTION_LENS_TEST_REPORT: report, ...hub.env },
    settings: quietSettings,
  }).catch(async (err: unknown) => {
    await hub.emulator.stop();
    throw err;
  });
  console.log(`[harness] Hub emulator on ${hub.emulator.url}`);
  console.log(`[harness] code-server ready on ${server.origin} after ${Date.now() - started} ms`);
  const browser = await launchChromium();
  let code = 1;
  try {
    const page = await newLoggedPage(browser, server.logDir);
    const automationLog = fs.createWriteStream(path.join(server.logDir, 'automation.log'));
    // The workbench calls these in test mode: log lines from the extension host, then the exit code.
    await page.exposeFunction('codeAutomationLog', (type: string, args: unknown[]) => {
      automationLog.write(`[${type}] ${args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ')}\n`);
    });
    const exited = new Promise<number>((resolve) => {
      void page.exposeFunction('codeAutomationExit', (exitCode: number) => resolve(exitCode));
    });
    await page.goto(server.workbenchUrl({
      folder: workspaceFixture,
      extensionDevelopmentPath: repoRoot,
      extensionTestsPath: integrationBundle,
    }));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<number>((resolve) => {
      timer = setTimeout(() => {
        console.error(`[harness] the suite did not finish within ${SUITE_TIMEOUT_MS} ms`);
        resolve(124);
      }, SUITE_TIMEOUT_MS);
    });
    code = await Promise.race([exited, timedOut]);
    clearTimeout(timer);
    if (code !== 0) await page.screenshot({ path: path.join(resultsDir, 'failure.png') }).catch(() => undefined);
    automationLog.end();
  } finally {
    await browser.close().catch(() => undefined);
    await server.stop({ keepLogs: code !== 0 });
    await hub.emulator.stop();
  }
  process.stdout.write(fs.existsSync(report) ? fs.readFileSync(report, 'utf8') : '(the suite wrote no report)\n');
  console.log(`[harness] integration suite exited with ${code} after ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (code !== 0) console.log(`[harness] logs kept in ${path.relative(process.cwd(), server.logDir)}`);
  return code;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.stack : err);
    process.exit(1);
  },
);
