// What `npm test` installs by itself and what it asks the person to install, on the machines it meets:
// Debian as root (CI), Debian without root, without apt, another OS, and with things already there.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LAYERS, needsOf, planSetup, problemMessage, type Facts, type Need } from '../harness/prerequisites';

/** A Debian 12 machine running as root where every need is met; each test takes something away. */
function machine(change: Partial<Facts> = {}): Facts {
  return {
    platform: 'linux', nodeMajor: 20, apt: true, root: true, sudo: false, missing: [],
    chromium: { path: '/usr/bin/chromium', isDefault: true }, python: { path: '/usr/bin/python3', isDefault: true },
    missingBuildPackages: [], codeServerPrefix: '/repo/.cache/code-server', codeServerVersion: '4.100.3', fixturesDir: '/shared/models',
    ...change,
  };
}
const everything = needsOf(LAYERS);
const missing = (...needs: Need[]) => ({ missing: needs });

describe('test set-up: what each layer needs', () => {
  it('asks the fixtures and numpy of the unit layer, and everything of the e2e layer', () => {
    assert.deepEqual(needsOf(['unit']), ['fixtures', 'numpy']);
    assert.deepEqual(needsOf(['python']), ['numpy']);
    assert.deepEqual(needsOf(['e2e']), ['fixtures', 'chromium', 'numpy', 'code-server']);
    assert.deepEqual(everything, ['fixtures', 'chromium', 'numpy', 'code-server']);
  });

  it('does nothing where everything is there', () => {
    assert.deepEqual(planSetup(machine(), everything, { install: true }), { apt: undefined, installCodeServer: false, problems: [] });
  });
});

describe('test set-up: installing', () => {
  it('as root on Debian: apt packages, then code-server with the packages its build needs', () => {
    const plan = planSetup(machine({ ...missing('chromium', 'numpy', 'code-server'), missingBuildPackages: ['libkrb5-dev', 'ripgrep'] }),
      everything, { install: true });
    assert.deepEqual(plan, {
      apt: { packages: ['chromium', 'python3-numpy', 'libkrb5-dev', 'ripgrep'], sudo: false },
      installCodeServer: true, problems: [],
    });
  });

  it('through sudo when it needs no password', () => {
    const plan = planSetup(machine({ root: false, sudo: true, ...missing('chromium') }), everything, { install: true });
    assert.deepEqual(plan.apt, { packages: ['chromium'], sudo: true });
    assert.deepEqual(plan.problems, []);
  });

  it('installs only what the named layers need', () => {
    const plan = planSetup(machine(missing('chromium', 'code-server')), needsOf(['unit', 'python']), { install: true });
    assert.deepEqual(plan, { apt: undefined, installCodeServer: false, problems: [] });
  });
});

describe('test set-up: one message when it cannot install', () => {
  it('without root or sudo: the sudo apt-get command, and code-server after it', () => {
    const plan = planSetup(machine({ root: false, ...missing('chromium', 'code-server'), missingBuildPackages: ['build-essential'] }),
      everything, { install: true });
    assert.equal(plan.apt, undefined);
    assert.equal(plan.installCodeServer, false);
    assert.equal(plan.problems.length, 2);
    assert.match(plan.problems[0], /sudo apt-get install -y chromium build-essential$/);
    assert.match(plan.problems[1], /code-server 4\.100\.3 is not installed in \/repo\/\.cache\/code-server/);
    const message = problemMessage(plan, 'npm test');
    assert.match(message, /^npm test cannot run on this machine yet:\n {2}- /);
  });

  it('without root, code-server alone is installed when its build packages are there', () => {
    const plan = planSetup(machine({ root: false, ...missing('code-server') }), everything, { install: true });
    assert.deepEqual(plan, { apt: undefined, installCodeServer: true, problems: [] });
  });

  it('without apt-get: names what to install by hand, and the variables that point at it', () => {
    const plan = planSetup(machine({ apt: false, ...missing('chromium', 'numpy') }), everything, { install: true });
    assert.equal(plan.apt, undefined);
    assert.equal(plan.problems.length, 1);
    assert.match(plan.problems[0], /no apt-get/);
    assert.match(plan.problems[0], /CHROMIUM_PATH/);
    assert.match(plan.problems[0], /PYTHON/);
  });

  it('on another OS: the code-server layers run on Linux only', () => {
    const plan = planSetup(machine({ platform: 'darwin', apt: false, ...missing('code-server') }), everything, { install: true });
    assert.equal(plan.installCodeServer, false);
    assert.match(plan.problems.join('\n'), /Linux only/);
  });

  it('on Node other than 20: code-server cannot be installed', () => {
    const plan = planSetup(machine({ nodeMajor: 22, ...missing('code-server') }), everything, { install: true });
    assert.equal(plan.installCodeServer, false);
    assert.match(plan.problems.join('\n'), /needs Node 20 \(this is Node 22\)/);
  });

  it('a CHROMIUM_PATH or PYTHON that points nowhere is not an apt package', () => {
    const plan = planSetup(machine({
      ...missing('chromium', 'numpy'), chromium: { path: '/nonexistent', isDefault: false }, python: { path: '/opt/py', isDefault: false },
    }), everything, { install: true });
    assert.equal(plan.apt, undefined);
    assert.deepEqual(plan.problems.map((p) => p.split(' ')[0]), ['CHROMIUM_PATH', '/opt/py']);
  });

  it('without the model fixtures: says where they belong, for every layer that reads them', () => {
    for (const layer of ['unit', 'webview', 'integration', 'vsix', 'e2e'] as const) {
      const plan = planSetup(machine(missing('fixtures')), needsOf([layer]), { install: true });
      assert.equal(plan.problems.length, 1, layer);
      assert.match(plan.problems[0], /model fixtures are missing: \/shared\/models .*beside the repository/);
    }
    assert.deepEqual(planSetup(machine(missing('fixtures')), needsOf(['python']), { install: true }).problems, []);
  });

  it('a layer\'s own check installs nothing: it reports, even as root', () => {
    const plan = planSetup(machine(missing('chromium', 'code-server')), needsOf(['integration']), { install: false });
    assert.equal(plan.apt, undefined);
    assert.equal(plan.installCodeServer, false);
    assert.match(plan.problems[0], / apt-get install -y chromium$/);
    assert.doesNotMatch(plan.problems[0], /sudo/);
    assert.match(plan.problems[1], /run npm test \(which installs it\)/);
  });
});
