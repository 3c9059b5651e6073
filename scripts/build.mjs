// Bundles every entry point into dist/ with esbuild. vscode and onnxruntime-node stay external:
// the first is provided by the editor, the second carries native binaries that cannot be bundled.
import * as esbuild from 'esbuild';
import { writePythonPageTemplate } from './python-page.mjs';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');
// `--outdir DIR`: the packaging step builds its production bundles beside dist/, not over it.
const outdirFlag = process.argv.indexOf('--outdir');
const outdir = outdirFlag >= 0 ? process.argv[outdirFlag + 1] : 'dist';

const node = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: !production,
  minify: production,
  external: ['vscode', 'onnxruntime-node'],
  logLevel: 'info',
};

const builds = [
  { ...node, entryPoints: { extension: 'src/extension.ts' }, outdir },
  { ...node, entryPoints: { engine: 'src/engine/engineProcess.ts' }, outdir },
  { ...node, entryPoints: { cli: 'src/cli.ts' }, outdir, banner: { js: '#!/usr/bin/env node' } },
  {
    bundle: true,
    platform: 'browser',
    target: 'es2022',
    format: 'iife',
    sourcemap: !production,
    minify: production,
    entryPoints: { webview: 'webview/main.ts', standalone: 'webview/standalone.ts' },
    outdir,
    logLevel: 'info',
  },
  // The notebook renderer: VS Code loads a renderer's entrypoint as an ES module.
  {
    bundle: true,
    platform: 'browser',
    target: 'es2022',
    format: 'esm',
    sourcemap: !production,
    minify: production,
    entryPoints: { notebookRenderer: 'webview/notebook/renderer.ts' },
    outdir,
    logLevel: 'info',
  },
];

if (watch) {
  const contexts = await Promise.all(builds.map((b) => esbuild.context(b)));
  await Promise.all(contexts.map((c) => c.watch()));
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
  // The notebook helper's text/html page is built from this build's standalone.js (not for the
  // packaging step's bundles, which build elsewhere).
  if (outdirFlag < 0) await writePythonPageTemplate(outdir);
}
