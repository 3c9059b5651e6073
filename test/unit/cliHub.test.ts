// The CLI with a Hugging Face id for --model, against the local Hub emulator: the first run
// downloads into the cache (progress on stderr) and gives the same report as the fixture folder;
// later runs work offline from the cache. Needs dist/cli.js (npm run build).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Report } from '../../src/report/report';
import { GATED_REPO, HubEmulator } from '../hub/server';
import { CLI, MODELS_DIR } from './fixtures';

const HUB_ID = 'raincandy-u/TinyStories-656K';
const TEXT = 'Lily had a red ball. She gave the ball to Tom.';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(env: NodeJS.ProcessEnv, ...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

function readReport(file: string): Report {
  return JSON.parse(readFileSync(file, 'utf8')) as Report;
}

/** What must not depend on where the model came from: everything but its name and the timings. */
function comparable(report: Report) {
  const { id: _id, ...model } = report.model;
  return { model, text: report.text, tokens: report.tokens, attention: report.attention };
}

describe('attention-lens inspect --model <Hugging Face id>', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'attention-lens-cli-hub-'));
  const xdgCache = path.join(dir, 'xdg-cache');
  let hub: HubEmulator;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    hub = await HubEmulator.start();
    // No token from the shell running the tests: the gated case must see none.
    env = { ...process.env, HF_ENDPOINT: hub.url, HF_TOKEN: '', XDG_CACHE_HOME: xdgCache, ATTENTION_LENS_MODEL: '' };
  });

  after(async () => {
    await hub.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('downloads the model into $XDG_CACHE_HOME/attention-lens and matches the local folder', async () => {
    const fromHub = path.join(dir, 'hub.json');
    const first = await cli(env, 'inspect', '--model', HUB_ID, '--text', TEXT, '--out', fromHub, '--provider', 'cpu');
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /Downloading raincandy-u\/TinyStories-656K \(\d+(\.\d)? MB\)/);
    assert.match(first.stderr, /onnx\/model\.onnx: .* of /);
    assert.doesNotMatch(first.stderr, /model\.safetensors/);
    assert.match(first.stdout, /Model\s+raincandy-u\/TinyStories-656K/);
    const folder = path.join(xdgCache, 'attention-lens', 'models', 'raincandy-u--TinyStories-656K', 'main');
    assert.ok(existsSync(path.join(folder, '.hub-snapshot.json')), `a complete download in ${folder}`);

    const fromFolder = path.join(dir, 'folder.json');
    const local = await cli(env, 'inspect', '--model', path.join(MODELS_DIR, 'tinystories-656k'), '--text', TEXT, '--out', fromFolder, '--provider', 'cpu');
    assert.equal(local.code, 0, local.stderr);
    assert.deepEqual(comparable(readReport(fromHub)), comparable(readReport(fromFolder)));
    assert.equal(readReport(fromHub).model.id, HUB_ID);
  });

  it('honours --cache-dir', async () => {
    const cacheDir = path.join(dir, 'own-cache');
    const run = await cli(env, 'inspect', '--model', `${HUB_ID}@main`, '--text', TEXT, '--cache-dir', cacheDir, '--quiet');
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, '', '--quiet keeps the progress off stderr');
    assert.ok(existsSync(path.join(cacheDir, 'models', 'raincandy-u--TinyStories-656K', 'main', 'config.json')));
  });

  it('says that a gated model needs a token', async () => {
    const run = await cli(env, 'inspect', '--model', GATED_REPO, '--text', TEXT);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^attention-lens: This model is gated: .*HF_TOKEN/);
  });

  it('works offline from the cache once the Hub is gone', async () => {
    await hub.stop();
    const requests = hub.requestCount;
    const offline = path.join(dir, 'offline.json');
    const run = await cli(env, 'inspect', '--model', HUB_ID, '--text', TEXT, '--out', offline, '--provider', 'cpu');
    assert.equal(run.code, 0, run.stderr);
    assert.doesNotMatch(run.stderr, /Downloading/);
    assert.equal(hub.requestCount, requests);
    assert.deepEqual(comparable(readReport(offline)), comparable(readReport(path.join(dir, 'hub.json'))));

    const missing = await cli(env, 'inspect', '--model', 'raincandy-u/not-downloaded', '--text', TEXT);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^attention-lens: Cannot reach http:\/\/127\.0\.0\.1:\d+/);
  });
});
