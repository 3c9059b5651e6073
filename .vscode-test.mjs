// `npm run test:electron`: the integration suite in desktop VS Code, downloaded by
// @vscode/test-electron through @vscode/test-cli. Needs a machine that can reach
// update.code.visualstudio.com, and a display (on Linux CI: `xvfb-run -a npm run test:electron`).
// The same suite runs in code-server through `npm run test:integration` where no download is possible.
import { defineConfig } from '@vscode/test-cli';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  label: 'integration',
  files: 'out/test/integration/**/*.test.js',
  // The oldest VS Code that package.json's engines allows, and the one code-server 4.100.3 embeds.
  version: process.env.VSCODE_TEST_VERSION ?? '1.100.3',
  extensionDevelopmentPath: root,
  workspaceFolder: path.join(root, 'test', 'harness', 'workspace'),
  env: {
    ATTENTION_LENS_MODEL: process.env.ATTENTION_LENS_MODEL ?? path.resolve(root, '..', 'shared', 'models', 'tinystories-656k'),
  },
  launchArgs: ['--disable-extensions', '--disable-gpu', '--disable-workspace-trust', '--skip-welcome', '--skip-release-notes'],
  mocha: { ui: 'bdd', timeout: 120_000, color: true },
});
