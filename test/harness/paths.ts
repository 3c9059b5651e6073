// Where the harness finds things. Everything is relative to the repository, so the suite runs from
// any checkout; the model fixtures live in ../shared beside it. (The harness runs as CommonJS
// under tsx, the package having no "type": "module".)
import * as path from 'node:path';

export const repoRoot = path.resolve(__dirname, '..', '..');
/** The model fixtures (Hugging Face layout, each with golden.json), in the shared/ folder beside the repository. */
export const fixturesDir = path.resolve(repoRoot, '..', 'shared', 'models');
export const modelFixture = path.join(fixturesDir, 'tinystories-656k');
export const workspaceFixture = path.join(repoRoot, 'test', 'harness', 'workspace');
export const integrationBundle = path.join(repoRoot, 'out', 'test', 'integration');
export const codeServerPrefix = process.env.CODE_SERVER_PREFIX ?? path.join(repoRoot, '.cache', 'code-server');
export const codeServerEntry = path.join(codeServerPrefix, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const resultsRoot = path.join(repoRoot, 'test-results');
export const runsRoot = path.join(repoRoot, '.cache', 'runs');
