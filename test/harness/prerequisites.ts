// What each test layer needs beyond `npm ci`, and what to do about whatever is missing: install it
// (apt packages when apt-get and root or password-less sudo are there, code-server into .cache/), or
// say in one message what is missing and the command that installs it. Pure decisions over facts
// gathered by scripts/test-setup.ts, so every branch is unit-tested without touching the machine.

export const LAYERS = ['unit', 'python', 'webview', 'integration', 'vsix', 'e2e'] as const;
export type Layer = (typeof LAYERS)[number];

/** Things a layer needs that `npm ci` does not provide. */
export type Need = 'fixtures' | 'chromium' | 'numpy' | 'code-server';

export const LAYER_NEEDS: Record<Layer, Need[]> = {
  // The graph builder's second reference is a numpy script (test/unit/hf_reference.py).
  unit: ['fixtures', 'numpy'],
  python: ['numpy'],
  // The notebook renderer's tests run the Python helper on a CLI report of a fixture.
  webview: ['chromium', 'fixtures', 'numpy'],
  integration: ['chromium', 'code-server', 'fixtures'],
  // The VSIX carries the bundled model, prepared from the fixture through the local Hub emulator.
  vsix: ['fixtures'],
  e2e: ['chromium', 'code-server', 'fixtures', 'numpy'],
};

/** Debian packages that code-server's install compiles its native modules with (and rg for @vscode/ripgrep). */
export const CODE_SERVER_BUILD_PACKAGES = ['build-essential', 'libkrb5-dev', 'ripgrep'];

/** What scripts/test-setup.ts found on this machine. */
export interface Facts {
  platform: NodeJS.Platform;
  nodeMajor: number;
  /** apt-get is on the PATH. */
  apt: boolean;
  root: boolean;
  /** `sudo -n true` succeeded: sudo runs without asking for a password. */
  sudo: boolean;
  /** Needs that are not met. */
  missing: Need[];
  /** The Chromium the harness will launch, and whether it is the default path (which apt's chromium provides). */
  chromium: { path: string; isDefault: boolean };
  /** The Python the harness runs, and whether it is Debian's (which python3-numpy serves). */
  python: { path: string; isDefault: boolean };
  /** Of CODE_SERVER_BUILD_PACKAGES, those not installed (looked at only when code-server is missing). */
  missingBuildPackages: string[];
  codeServerPrefix: string;
  codeServerVersion: string;
  fixturesDir: string;
}

export interface Plan {
  /** Debian packages to install, and whether through sudo. */
  apt?: { packages: string[]; sudo: boolean };
  /** Run test/harness/install-code-server.sh (after the apt packages). */
  installCodeServer: boolean;
  /** What can be neither found nor installed here, in the user's words with the command that fixes it. */
  problems: string[];
}

/** The needs of `layers`, each once, in a stable order. */
export function needsOf(layers: readonly Layer[]): Need[] {
  const all = new Set(layers.flatMap((l) => LAYER_NEEDS[l]));
  return (['fixtures', 'chromium', 'numpy', 'code-server'] as Need[]).filter((n) => all.has(n));
}

/** Decides what to install and what to report; `install: false` only reports (the layers' own check). */
export function planSetup(facts: Facts, needs: readonly Need[], { install }: { install: boolean }): Plan {
  const missing = needs.filter((n) => facts.missing.includes(n));
  const problems: string[] = [];
  const packages: string[] = [];
  const elsewhere: string[] = [];

  if (missing.includes('fixtures')) {
    problems.push(`the model fixtures are missing: ${facts.fixturesDir} should hold tinystories-656k, stories260k and ` +
      'bert-tiny-random (Hugging Face layout, each with golden.json). The tests read them from the shared/ folder that ' +
      'sits beside the repository: put it there (the checkout and shared/ side by side), then run the tests again.');
  }
  if (missing.includes('chromium')) {
    if (facts.chromium.isDefault) packages.push('chromium');
    else elsewhere.push(`CHROMIUM_PATH names ${facts.chromium.path}, which does not exist: point it at a Chromium or Chrome binary`);
  }
  if (missing.includes('numpy')) {
    if (facts.python.isDefault) packages.push('python3-numpy');
    else elsewhere.push(`${facts.python.path} (from PYTHON) cannot import numpy: install numpy for it (${facts.python.path} -m pip install numpy)`);
  }
  const codeServerMissing = missing.includes('code-server');
  if (codeServerMissing) packages.push(...facts.missingBuildPackages);

  const debian = facts.platform === 'linux' && facts.apt;
  const canApt = debian && (facts.root || facts.sudo);
  let apt: Plan['apt'];
  if (packages.length > 0) {
    if (install && canApt) apt = { packages, sudo: !facts.root };
    else if (debian) {
      problems.push(`missing Debian packages: ${packages.join(' ')}. Install them with:\n` +
        `    ${facts.root ? '' : 'sudo '}apt-get install -y ${packages.join(' ')}`);
    } else {
      const names: Record<string, string> = {
        chromium: 'Chromium (then set CHROMIUM_PATH to its binary)',
        'python3-numpy': 'Python 3 with numpy (then set PYTHON to its interpreter)',
        'build-essential': 'a C/C++ toolchain (make, g++)',
        'libkrb5-dev': 'the Kerberos development headers (krb5.h, gssapi)',
        ripgrep: 'ripgrep (rg)',
      };
      problems.push(`this machine has no apt-get (${facts.platform}); install by hand: ${packages.map((p) => names[p] ?? p).join('; ')}`);
    }
  }
  problems.push(...elsewhere);

  let installCodeServer = false;
  if (codeServerMissing) {
    const where = `code-server ${facts.codeServerVersion} is not installed in ${facts.codeServerPrefix}`;
    if (facts.platform !== 'linux') {
      problems.push(`${where}; the harness installs and runs it on Linux only: run the integration and e2e layers on Linux (Debian 12)`);
    } else if (facts.nodeMajor !== 20) {
      problems.push(`${where}, and installing it needs Node 20 (this is Node ${facts.nodeMajor}): switch to Node 20 and run npm test`);
    } else if (install && (packages.length === 0 || apt)) {
      installCodeServer = true;
    } else {
      problems.push(`${where}: ${install ? 'once the packages above are in, ' : ''}run npm test (which installs it) or test/harness/install-code-server.sh`);
    }
  }
  return { apt, installCodeServer, problems };
}

/** The one message for a plan with problems. */
export function problemMessage(plan: Plan, what: string): string {
  return `${what} cannot run on this machine yet:\n${plan.problems.map((p) => `  - ${p}`).join('\n')}`;
}
