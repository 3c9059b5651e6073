// Bundles the integration suite for the extension host: one CommonJS file per test plus the runner,
// with `vscode` and `mocha` left for the host to provide.
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { integrationBundle, repoRoot } from './paths';

const sources = path.join(repoRoot, 'test', 'integration');
const entryPoints = fs.readdirSync(sources)
  .filter((f) => f === 'index.ts' || f.endsWith('.test.ts'))
  .map((f) => path.join(sources, f));

fs.rmSync(integrationBundle, { recursive: true, force: true });
esbuild.buildSync({
  entryPoints,
  outdir: integrationBundle,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: 'inline',
  external: ['vscode', 'mocha'],
  logLevel: 'warning',
});
console.log(`integration suite bundled into ${path.relative(repoRoot, integrationBundle)}`);
