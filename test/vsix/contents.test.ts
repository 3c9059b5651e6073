// What the linux-x64 VSIX ships: read from the archive itself (packaged first when missing or stale,
// which takes minutes: hence a layer of its own, `npm run test:vsix`).
// Runtime files only: the production bundles, the default model, onnxruntime-node with this
// platform's binaries and no CUDA/TensorRT libraries; no sources, tests, maps or tooling.
import assert from 'node:assert/strict';
import { builtinModules } from 'node:module';
import { statSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import { zipEntries, readZipEntry, type ZipEntry } from '../../scripts/vsix/zipEntries';
import { ensureVsix } from '../harness/vsix';

const BUDGET_BYTES = 25e6;
const ORT = 'extension/node_modules/onnxruntime-node';
const BIN = `${ORT}/bin/napi-v6/linux/x64`;

let vsix: string;
let entries: ZipEntry[];
let names: string[];
const text = async (name: string): Promise<string> => (await readZipEntry(vsix, name)).toString('utf8');

describe('the linux-x64 VSIX', () => {
  before(async () => {
    vsix = await ensureVsix('linux-x64');
    entries = await zipEntries(vsix);
    names = entries.map((e) => e.name);
    const size = statSync(vsix).size;
    console.log(`  ${vsix}: ${(size / 1e6).toFixed(2)} MB, ${entries.length} files`);
  }, { timeout: 300_000 });

  it(`is at most ${BUDGET_BYTES / 1e6} MB`, () => {
    assert.ok(statSync(vsix).size <= BUDGET_BYTES, `${(statSync(vsix).size / 1e6).toFixed(2)} MB`);
  });

  it('carries the bundles, the manifest and the Marketplace files', () => {
    for (const file of ['package.json', 'readme.md', 'changelog.md', 'LICENSE.txt', 'images/icon.png', 'package.nls.json',
      'dist/extension.js', 'dist/engine.js', 'dist/webview.js', 'dist/webview.css', 'dist/notebookRenderer.js']) {
      assert.ok(names.includes(`extension/${file}`), `missing ${file}`);
    }
  });

  it('carries the bundled default model', () => {
    const model = 'extension/models/tinystories-656k';
    for (const file of ['config.json', 'tokenizer.json']) assert.ok(names.includes(`${model}/${file}`), `missing ${file}`);
    assert.ok(names.includes(`${model}/onnx/model.onnx`) || names.includes(`${model}/model.safetensors`), 'missing the weights');
  });

  it("carries onnxruntime-node's JavaScript and this platform's binding", () => {
    for (const file of [`${ORT}/package.json`, `${ORT}/dist/index.js`, `${ORT}/dist/binding.js`, `${BIN}/onnxruntime_binding.node`,
      `${BIN}/libonnxruntime.so.1`, 'extension/node_modules/onnxruntime-common/package.json',
      'extension/node_modules/onnxruntime-common/dist/cjs/package.json', 'extension/node_modules/onnxruntime-common/dist/cjs/index.js']) {
      assert.ok(names.includes(file), `missing ${file}`);
    }
  });

  it('has no other platform binaries and no CUDA or TensorRT libraries', () => {
    const native = names.filter((n) => n.startsWith(`${ORT}/bin/`));
    assert.deepEqual(native.filter((n) => !n.startsWith(`${BIN}/`)), []);
    assert.deepEqual(names.filter((n) => /cuda|tensorrt|providers_shared|cudnn|cublas/i.test(n)), []);
    assert.deepEqual(names.filter((n) => /\.(dll|dylib)$/i.test(n)), []);
  });

  it('has no sources, source maps, tests or tooling', () => {
    const unwanted = names.filter((n) =>
      /\.(ts|tsx|mts|cts|map)$/i.test(n) ||
      /(^|\/)(src|test|tests|scripts|webview|out|test-results|\.cache|\.ci|\.vscode|\.github)\//.test(n.replace(/^extension\/node_modules\/[^/]+\//, '')) ||
      /\.(test|spec|e2e)\.[cm]?js$/i.test(n) ||
      /(^|\/)(tsconfig\.json|eslint\.config\.mjs|package-lock\.json|\.npmrc|\.vscodeignore)$/.test(n));
    assert.deepEqual(unwanted, []);
  });

  it('ships from node_modules only the packages the bundles leave external', () => {
    const packages = new Set(names.filter((n) => n.startsWith('extension/node_modules/')).map((n) => n.split('/')[2]));
    assert.deepEqual([...packages].sort(), ['onnxruntime-common', 'onnxruntime-node']);
  });

  it('bundles require nothing beyond Node, vscode and onnxruntime-node', async () => {
    const allowed = new Set(['vscode', 'onnxruntime-node', ...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
    for (const bundle of ['extension.js', 'engine.js', 'webview.js']) {
      const required = [...(await text(`extension/dist/${bundle}`)).matchAll(/\brequire\(\s*["'`]([^"'`]+)["'`]\s*\)/g)].map((m) => m[1]);
      assert.deepEqual(required.filter((r) => !allowed.has(r)), [], `dist/${bundle}`);
    }
    assert.doesNotMatch(await text('extension/dist/extension.js'), /sourceMappingURL/);
  });

  it('has a Marketplace manifest without tooling, for linux-x64', async () => {
    const manifest = JSON.parse(await text('extension/package.json')) as Record<string, unknown>;
    assert.equal(manifest.scripts, undefined);
    assert.equal(manifest.devDependencies, undefined);
    assert.deepEqual(Object.keys(manifest.dependencies as object), ['onnxruntime-node']);
    assert.ok(names.includes(`extension/${String(manifest.main).replace(/^\.\//, '')}`), 'main is packaged');
    assert.equal(manifest.icon, 'images/icon.png');
    assert.deepEqual(manifest.engines, { vscode: '^1.100.0' });
    for (const key of ['publisher', 'repository', 'galleryBanner', 'keywords', 'categories', 'license']) {
      assert.ok(manifest[key], `package.json has ${key}`);
    }
    assert.match(await text('extension.vsixmanifest'), /TargetPlatform="linux-x64"/);
  });
});
