// The CLI with a Hugging Face id for --model, against the local Hub emulator: the first run
// downloads into the Hugging Face cache (progress on stderr) and gives the same report as the
// fixture folder; later runs work offline from the cache, as does a model Python put there.
// Needs dist/cli.js (npm run build).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Report } from '../../src/report/report';
import { writePythonCache } from '../hub/pythonCache';
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
  const hfHome = path.join(dir, 'hf-home');
  let hub: HubEmulator;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    hub = await HubEmulator.start();
    // No token from the shell running the tests: the gated case must see none.
    env = { ...process.env, HF_ENDPOINT: hub.url, HF_TOKEN: '', XDG_CACHE_HOME: xdgCache, HF_HOME: hfHome, ATTENTION_LENS_MODEL: '' };
    // The shell's own cache settings would win over HF_HOME.
    for (const key of ['HF_HUB_CACHE', 'HUGGINGFACE_HUB_CACHE', 'HF_HUB_OFFLINE']) delete env[key];
  });

  after(async () => {
    await hub.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('downloads the model into $HF_HOME/hub and matches the local folder', async () => {
    const fromHub = path.join(dir, 'hub.json');
    const first = await cli(env, 'inspect', '--model', HUB_ID, '--text', TEXT, '--out', fromHub, '--provider', 'cpu');
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /Downloading raincandy-u\/TinyStories-656K \(\d+(\.\d)? MB\)/);
    assert.match(first.stderr, /onnx\/model\.onnx: .* of /);
    assert.doesNotMatch(first.stderr, /model\.safetensors/);
    assert.match(first.stdout, /Model\s+raincandy-u\/TinyStories-656K/);
    const repoDir = path.join(hfHome, 'hub', 'models--raincandy-u--TinyStories-656K');
    const commit = readFileSync(path.join(repoDir, 'refs', 'main'), 'utf8');
    assert.ok(existsSync(path.join(repoDir, 'snapshots', commit, 'onnx', 'model.onnx')), `a complete download in ${repoDir}`);
    assert.match(first.stderr, new RegExp(`Saved to .*${commit}`));

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
    const snapshots = path.join(cacheDir, 'models--raincandy-u--TinyStories-656K', 'snapshots');
    assert.ok(readdirSync(snapshots).some((commit) => existsSync(path.join(snapshots, commit, 'config.json'))));
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

  it('opens a model Python downloaded into $HF_HUB_CACHE with HF_HUB_OFFLINE=1 and no Hub', async () => {
    const hubCache = path.join(dir, 'python-cache');
    const fixture = path.join(MODELS_DIR, 'tinystories-656k');
    const python = 'someone/python-downloaded';
    writePythonCache(hubCache, python, fixture, ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'onnx/model.onnx']);
    const offlineEnv = { ...env, HF_HUB_CACHE: hubCache, HF_HUB_OFFLINE: '1' };
    const out = path.join(dir, 'python.json');
    const run = await cli(offlineEnv, 'inspect', '--model', python, '--text', TEXT, '--out', out, '--provider', 'cpu');
    assert.equal(run.code, 0, run.stderr);
    assert.doesNotMatch(run.stderr, /Downloading/);
    assert.equal(readReport(out).model.id, python);
    assert.deepEqual(comparable(readReport(out)), comparable(readReport(path.join(dir, 'folder.json'))));

    const missing = await cli(offlineEnv, 'inspect', '--model', 'raincandy-u/not-downloaded', '--text', TEXT);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^attention-lens: raincandy-u\/not-downloaded@main is not in the Hugging Face cache .*HF_HUB_OFFLINE/);
  });
});
