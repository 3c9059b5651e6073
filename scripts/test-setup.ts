// `npm test` runs this first: it installs what the test layers need beyond `npm ci` (Debian's
// chromium and python3-numpy, and code-server into .cache/code-server with the packages its install
// compiles with), and returns at once when everything is there. Where it cannot install (no apt-get,
// no root or password-less sudo, another OS, no model fixtures) it stops with one message naming
// what is missing and the command that installs it.
//
//   node --import tsx scripts/test-setup.ts                 set up for every layer
//   node --import tsx scripts/test-setup.ts --check LAYER…  only check (each `npm run test:*` does)
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { pythonHasNumpy, python } from '../test/harness/pythonHelper';
import { chromiumPath, codeServerPrefix, fixturesDir, repoRoot } from '../test/harness/paths';
import {
  CODE_SERVER_BUILD_PACKAGES, LAYERS, needsOf, planSetup, problemMessage, type Facts, type Layer, type Need,
} from '../test/harness/prerequisites';

const FIXTURES = ['tinystories-656k', 'stories260k', 'bert-tiny-random'];
const INSTALL_CODE_SERVER = path.join(repoRoot, 'test', 'harness', 'install-code-server.sh');

const onPath = (command: string): boolean => spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;

/** Installed Debian packages among `names` (dpkg's view; empty when there is no dpkg). */
function debianInstalled(names: string[]): Set<string> {
  const result = spawnSync('dpkg-query', ['-W', '-f=${Package} ${Status}\\n', ...names], { encoding: 'utf8' });
  if (result.error) return new Set();
  return new Set(result.stdout.split('\n').filter((l) => l.endsWith('install ok installed')).map((l) => l.split(' ')[0]));
}

function codeServerVersion(): string {
  const version = /^VERSION=(\S+)$/m.exec(readFileSync(INSTALL_CODE_SERVER, 'utf8'))?.[1];
  if (!version) throw new Error(`${INSTALL_CODE_SERVER} names no VERSION`);
  return version;
}

function gatherFacts(needs: readonly Need[]): Facts {
  const version = codeServerVersion();
  const missing: Need[] = [];
  if (needs.includes('fixtures') && !FIXTURES.every((f) => existsSync(path.join(fixturesDir, f, 'golden.json')))) missing.push('fixtures');
  if (needs.includes('chromium') && !existsSync(chromiumPath)) missing.push('chromium');
  if (needs.includes('numpy') && !pythonHasNumpy()) missing.push('numpy');
  const codeServerMissing = needs.includes('code-server') && !existsSync(path.join(codeServerPrefix, `installed-${version}`));
  if (codeServerMissing) missing.push('code-server');
  const root = process.getuid?.() === 0;
  const apt = process.platform === 'linux' && onPath('apt-get');
  let missingBuildPackages: string[] = [];
  if (codeServerMissing) {
    const installed = debianInstalled(CODE_SERVER_BUILD_PACKAGES);
    // Without dpkg, a toolchain and rg on the PATH will do; the install script checks the rest.
    const present = (p: string) => installed.has(p) || (p === 'ripgrep' && onPath('rg')) || (p === 'build-essential' && onPath('make') && onPath('g++'));
    missingBuildPackages = CODE_SERVER_BUILD_PACKAGES.filter((p) => !present(p));
  }
  return {
    platform: process.platform,
    nodeMajor: Number(process.versions.node.split('.')[0]),
    apt,
    root,
    sudo: !root && apt && onPath('sudo') && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0,
    missing,
    chromium: { path: chromiumPath, isDefault: !process.env.CHROMIUM_PATH },
    python: { path: python, isDefault: !process.env.PYTHON },
    missingBuildPackages,
    codeServerPrefix,
    codeServerVersion: version,
    fixturesDir,
  };
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): void {
  console.log(`test setup: ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { stdio: 'inherit', env });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status ?? result.signal ?? result.error?.message})`);
}

function main(): number {
  const started = performance.now();
  const { values, positionals } = parseArgs({ options: { check: { type: 'boolean' } }, allowPositionals: true, strict: true });
  const unknown = positionals.filter((p) => !(LAYERS as readonly string[]).includes(p));
  if (unknown.length > 0) throw new Error(`unknown layer ${unknown.join(', ')}: choose from ${LAYERS.join(', ')}`);
  const layers = (positionals.length > 0 ? positionals : LAYERS) as Layer[];
  const install = !values.check;
  const needs = needsOf(layers);
  const facts = gatherFacts(needs);
  const plan = planSetup(facts, needs, { install });
  const what = values.check ? `npm run test:${layers.join(', test:')}` : 'npm test';
  if (plan.problems.length > 0) {
    console.error(problemMessage(plan, what));
    return 1;
  }
  if (plan.apt) {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const sudo = plan.apt.sudo ? ['sudo', '-n', '--preserve-env=DEBIAN_FRONTEND'] : [];
    const [command, ...prefix] = [...sudo, 'apt-get'];
    run(command, [...prefix, 'update', '-qq'], env);
    run(command, [...prefix, 'install', '-y', '-qq', ...plan.apt.packages], env);
  }
  if (plan.installCodeServer) run('bash', [INSTALL_CODE_SERVER], { ...process.env, CODE_SERVER_PREFIX: codeServerPrefix });
  if (install) console.log(`test setup: everything the test layers need is here (${((performance.now() - started) / 1000).toFixed(2)} s)`);
  return 0;
}

try {
  process.exitCode = main();
} catch (err) {
  console.error(`test setup: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
}
