// `npm run package -- --target linux-x64` (repeatable) or `npm run package:all`: one VSIX per target
// in dist-vsix/. Builds the production bundles, makes sure the bundled default model is there, then
// stages a clean folder per target (manifest without tooling, bundles, model, and onnxruntime-node
// with only that target's binaries) and runs `vsce package --target` in it, so nothing else from
// node_modules can slip in. Prints each VSIX's size and what fills it.
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { defaultCatalogEntry } from '../src/models/catalog';
import { parseTarget, runtimeBinFolder, shipsRuntimeFile, TARGETS, type Target } from './vsix/targets';
import { zipEntries, type ZipEntry } from './vsix/zipEntries';

const ROOT = path.resolve(__dirname, '..');
const STAGING = path.join(ROOT, '.cache', 'vsix');
const BUNDLES = path.join(STAGING, 'dist');
const DEFAULT_OUT = path.join(ROOT, 'dist-vsix');
const VSCE = path.join(ROOT, 'node_modules', '@vscode', 'vsce', 'vsce');
/** Largest VSIX allowed per target, in bytes (10^6 per MB, as the Marketplace counts). */
const BUDGETS: Partial<Record<Target['name'], number>> = { 'linux-x64': 25e6 };
/** Files at the top of the repository that the Marketplace page and the manifest refer to. */
const TOP_LEVEL_FILES = ['README.md', 'CHANGELOG.md', 'LICENSE', '.vscodeignore'];
const BUNDLE_FILES = ['extension.js', 'engine.js', 'webview.js', 'webview.css', 'notebookRenderer.js'];

interface Options {
  targets: Target[];
  out: string;
  build: boolean;
}

const USAGE = `usage: package.ts (--target T[,T…] | --all) [--out DIR] [--no-build]; targets: ${TARGETS.join(', ')}`;

function parseOptions(argv: string[]): Options {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        target: { type: 'string', short: 't', multiple: true },
        all: { type: 'boolean' },
        out: { type: 'string' },
        'no-build': { type: 'boolean' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${USAGE}`);
  }
  const targets = [...(values.all ? TARGETS : []), ...(values.target ?? []).flatMap((t) => t.split(','))].map(parseTarget);
  if (targets.length === 0) throw new Error(`name a target (--target ${TARGETS.join('|')}) or --all`);
  return {
    targets: targets.filter((t, i) => targets.findIndex((u) => u.name === t.name) === i),
    out: values.out === undefined ? DEFAULT_OUT : path.resolve(values.out),
    build: !values['no-build'],
  };
}

function run(command: string, args: string[], cwd: string, what: string): void {
  const result = spawnSync(command, args, { cwd, stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.error) throw new Error(`${what}: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`${what} failed (exit code ${result.status ?? result.signal})`);
}

/** Production bundles (minified, no source maps) into .cache/vsix/dist, leaving dist/ to development. */
function buildBundles(): void {
  rmSync(BUNDLES, { recursive: true, force: true });
  run(process.execPath, [path.join(ROOT, 'scripts', 'build.mjs'), '--production', '--outdir', BUNDLES], ROOT, 'the production build');
}

/** The bundled default model's folder, fetched by `npm run models` when it is not there yet. */
function ensureModel(): string {
  const key = defaultCatalogEntry().key;
  const folder = path.join(ROOT, 'models', key);
  if (!existsSync(path.join(folder, '.hub-snapshot.json'))) {
    console.log(`models/${key} is missing: running npm run models`);
    try {
      run(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts', 'models.ts')], ROOT, 'npm run models');
    } catch (err) {
      throw new Error(`${(err as Error).message}. The VSIX needs the bundled model: point HF_ENDPOINT at a Hub ` +
        '(for tests, `npm run hub:emulator` serves the fixtures on http://127.0.0.1:8765) and run it again.');
    }
  }
  return folder;
}

/** The manifest as it ships: no scripts, no tooling, and only the native runtime as a dependency. */
function stagedManifest(): Record<string, unknown> {
  const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;
  const runtime = JSON.parse(readFileSync(path.join(ROOT, 'node_modules', 'onnxruntime-node', 'package.json'), 'utf8')) as { version: string };
  delete manifest.scripts;
  delete manifest.devDependencies;
  delete manifest.bin; // the CLI does not ship
  manifest.dependencies = { 'onnxruntime-node': runtime.version };
  return manifest;
}

/**
 * onnxruntime-node and onnxruntime-common as they run: JavaScript and manifests, the target's
 * binaries. The install-time script and its dependencies (adm-zip, global-agent) stay behind.
 */
function stageRuntime(target: Target, stage: string): void {
  const from = path.join(ROOT, 'node_modules', 'onnxruntime-node');
  const to = path.join(stage, 'node_modules', 'onnxruntime-node');
  const binFrom = path.join(from, runtimeBinFolder(target));
  if (!existsSync(binFrom)) {
    throw new Error(`onnxruntime-node has no binaries for ${target.name} (${path.relative(ROOT, binFrom)} is missing)`);
  }
  const manifest = JSON.parse(readFileSync(path.join(from, 'package.json'), 'utf8')) as Record<string, unknown> & { dependencies: Record<string, string> };
  delete manifest.scripts;
  delete manifest.devDependencies;
  manifest.dependencies = { 'onnxruntime-common': manifest.dependencies['onnxruntime-common'] };
  mkdirSync(path.join(to, 'dist'), { recursive: true });
  writeFileSync(path.join(to, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  copyMatching(path.join(from, 'dist'), path.join(to, 'dist'), (f) => f.endsWith('.js'));
  copyMatching(binFrom, path.join(to, runtimeBinFolder(target)), shipsRuntimeFile);

  const common = path.join(ROOT, 'node_modules', 'onnxruntime-common');
  const commonTo = path.join(stage, 'node_modules', 'onnxruntime-common');
  mkdirSync(commonTo, { recursive: true });
  copyFileSync(path.join(common, 'package.json'), path.join(commonTo, 'package.json'));
  copyMatching(path.join(common, 'dist', 'cjs'), path.join(commonTo, 'dist', 'cjs'), (f) => f.endsWith('.js') || f === 'package.json');
}

function copyMatching(from: string, to: string, keep: (file: string) => boolean): void {
  mkdirSync(to, { recursive: true });
  for (const file of readdirSync(from)) {
    if (statSync(path.join(from, file)).isFile() && keep(file)) copyFileSync(path.join(from, file), path.join(to, file));
  }
}

function stage(target: Target, model: string): string {
  const dir = path.join(STAGING, target.name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(path.join(dir, 'dist'), { recursive: true });
  writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify(stagedManifest(), null, 2)}\n`);
  for (const file of TOP_LEVEL_FILES) copyFileSync(path.join(ROOT, file), path.join(dir, file));
  for (const file of readdirSync(ROOT).filter((f) => /^package\.nls(\..+)?\.json$/.test(f))) copyFileSync(path.join(ROOT, file), path.join(dir, file));
  cpSync(path.join(ROOT, 'l10n'), path.join(dir, 'l10n'), { recursive: true });
  mkdirSync(path.join(dir, 'images'));
  copyFileSync(path.join(ROOT, 'images', 'icon.png'), path.join(dir, 'images', 'icon.png'));
  for (const file of BUNDLE_FILES) copyFileSync(path.join(BUNDLES, file), path.join(dir, 'dist', file));
  cpSync(model, path.join(dir, 'models', path.basename(model)), { recursive: true });
  stageRuntime(target, dir);
  return dir;
}

const megabytes = (bytes: number): string => `${(bytes / 1e6).toFixed(2)} MB`;

/** What a VSIX entry is, for the size summary. */
function kindOf(name: string): string {
  if (/\/node_modules\/onnxruntime-node\/bin\//.test(name)) return 'onnxruntime native libraries';
  if (/\/node_modules\//.test(name)) return 'onnxruntime JavaScript';
  if (/\/models\//.test(name)) return 'bundled model';
  if (/\/dist\//.test(name)) return 'bundles';
  return 'manifest, docs, icon';
}

async function describe(file: string): Promise<string> {
  const entries: ZipEntry[] = await zipEntries(file);
  const size = statSync(file).size;
  const kinds = new Map<string, number>();
  for (const e of entries) kinds.set(kindOf(e.name), (kinds.get(kindOf(e.name)) ?? 0) + e.compressedSize);
  const byKind = [...kinds].sort((a, b) => b[1] - a[1]).map(([k, b]) => `${k} ${megabytes(b)}`).join(', ');
  const largest = [...entries].sort((a, b) => b.compressedSize - a.compressedSize).slice(0, 3)
    .map((e) => `${e.name.replace(/^extension\//, '')} ${megabytes(e.compressedSize)} (${megabytes(e.size)} unpacked)`).join('; ');
  return `${megabytes(size)}, ${entries.length} files\n    by kind: ${byKind}\n    largest: ${largest}`;
}

async function main(): Promise<void> {
  const started = performance.now();
  const options = parseOptions(process.argv.slice(2));
  if (!existsSync(VSCE)) throw new Error('@vscode/vsce is not installed: run npm ci');
  if (options.build) buildBundles();
  else if (!BUNDLE_FILES.every((f) => existsSync(path.join(BUNDLES, f)))) throw new Error('--no-build: no production bundles in .cache/vsix/dist yet');
  const model = ensureModel();
  mkdirSync(options.out, { recursive: true });
  const version = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

  const summary: string[] = [];
  let overBudget = false;
  for (const target of options.targets) {
    const t0 = performance.now();
    const dir = stage(target, model);
    const file = path.join(options.out, `attention-lens-${target.name}-${version}.vsix`);
    rmSync(file, { force: true });
    run(process.execPath, [VSCE, 'package', '--target', target.name, '--out', file], dir, `vsce package --target ${target.name}`);
    const size = statSync(file).size;
    const budget = BUDGETS[target.name];
    const verdict = budget === undefined ? '' : size <= budget ? ` (budget ${megabytes(budget)}: ok)` : ` (OVER the ${megabytes(budget)} budget)`;
    overBudget ||= budget !== undefined && size > budget;
    summary.push(`${path.relative(process.cwd(), file)}: ${await describe(file)}${verdict}\n    packaged in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  console.log(`\n${summary.join('\n')}\nall done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  if (overBudget) throw new Error('a VSIX is over its size budget');
}

main().catch((err: unknown) => {
  console.error(`package: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
