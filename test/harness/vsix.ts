// The packaged extension for the tests that check what ships: finds (or builds, with
// `npm run package`) the VSIX of a target, and installs it into an extensions folder with
// code-server's own `--install-extension`, as a person installing the file would.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { defaultCatalogEntry } from '../../src/models/catalog';
import { HubEmulator } from '../hub/server';
import { codeServerEntry, repoRoot } from './paths';

/** Where `npm run package` writes the VSIX of `target`. */
export function vsixFile(target = 'linux-x64'): string {
  const { version } = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string };
  return path.join(repoRoot, 'dist-vsix', `attention-lens-${target}-${version}.vsix`);
}

// What a VSIX is made of: a change to any of these makes an existing package stale.
const INPUTS = ['package.json', 'package.nls.json', 'package.nls.es.json', '.vscodeignore', 'README.md', 'CHANGELOG.md', 'LICENSE', 'images',
  'l10n', 'src', 'webview', 'scripts/package.ts', 'scripts/build.mjs', 'scripts/vsix', 'models'];

/** The newest modification time under the package's inputs, in milliseconds. */
function newestInput(): number {
  const newest = (p: string): number => {
    if (!existsSync(p)) return 0;
    const stat = statSync(p);
    if (!stat.isDirectory()) return stat.mtimeMs;
    return readdirSync(p).reduce((max, name) => Math.max(max, newest(path.join(p, name))), stat.mtimeMs);
  };
  return Math.max(...INPUTS.map((p) => newest(path.join(repoRoot, p))));
}

/**
 * The VSIX of `target`, packaged first when it is missing or older than its inputs (or always, with
 * ATTENTION_LENS_VSIX_REBUILD=1). Without a prepared default model or an HF_ENDPOINT, a local Hub
 * emulator serves the fixture for `npm run models`.
 */
export async function ensureVsix(target = 'linux-x64'): Promise<string> {
  const file = vsixFile(target);
  const fresh = existsSync(file) && statSync(file).mtimeMs >= newestInput();
  if (fresh && !process.env.ATTENTION_LENS_VSIX_REBUILD) return file;
  const modelReady = existsSync(path.join(repoRoot, 'models', defaultCatalogEntry().key, '.hub-snapshot.json'));
  const hub = modelReady || process.env.HF_ENDPOINT ? undefined : await HubEmulator.start();
  try {
    const env = hub ? { ...process.env, HF_ENDPOINT: hub.url } : process.env;
    // Asynchronous: the emulator answers from this process while the script runs.
    await runNode(['--import', 'tsx', path.join(repoRoot, 'scripts', 'package.ts'), '--target', target], env, `npm run package -- --target ${target}`);
  } finally {
    await hub?.stop();
  }
  if (!existsSync(file)) throw new Error(`packaging reported success but ${file} is missing`);
  return file;
}

/** Installs `vsix` into `extensionsDir` (created fresh); returns the installed extension's folder. */
export async function installVsix(vsix: string, extensionsDir: string): Promise<string> {
  rmSync(extensionsDir, { recursive: true, force: true });
  mkdirSync(extensionsDir, { recursive: true });
  await installExtension(vsix, extensionsDir);
  const installed = readdirSync(extensionsDir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && e.name.startsWith('attention-lens.attention-lens-'));
  if (installed.length !== 1) throw new Error(`expected one installed Attention Lens in ${extensionsDir}, found ${installed.map((e) => e.name).join(', ') || 'none'}`);
  return path.join(extensionsDir, installed[0].name);
}

/** Installs the extension in `vsix` into `extensionsDir` with code-server's `--install-extension`. */
export async function installExtension(vsix: string, extensionsDir: string): Promise<void> {
  // The CLI writes a profile and logs; keep them out of the real home.
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'attention-lens-install-'));
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: scratch, XDG_CONFIG_HOME: scratch, XDG_DATA_HOME: scratch, XDG_CACHE_HOME: scratch };
  for (const key of Object.keys(env)) if (key.startsWith('VSCODE_') || key === 'ELECTRON_RUN_AS_NODE') delete env[key];
  try {
    await runNode([codeServerEntry, '--user-data-dir', path.join(scratch, 'data'), '--extensions-dir', extensionsDir,
      '--install-extension', vsix], env, `code-server --install-extension ${path.basename(vsix)}`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Runs a Node script to completion; rejects with the tail of its output when it fails. */
export function runNode(args: string[], env: NodeJS.ProcessEnv, what: string, cwd = repoRoot): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${what} failed (${code ?? signal}):\n${output.slice(-4000)}`));
    });
  });
}
