// What a model setting (or --model) names: the rule shared by the editor and the CLI, and where
// each kind of reference is found or fetched.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { locateModel } from '../../src/models/locateModel';
import {
  bundledModelFolder, formatModelReference, hubIdToFetch, modelLabel, parseModelReference,
} from '../../src/models/modelReference';
import { HubEmulator } from '../hub/server';
import { MODELS_DIR } from './fixtures';

describe('parseModelReference', () => {
  const base = mkdtempSync(path.join(tmpdir(), 'attention-lens-ref-'));
  const context = { baseDir: base, homeDir: '/home/someone' };
  mkdirSync(path.join(base, 'models', 'tiny'), { recursive: true });
  after(() => rmSync(base, { recursive: true, force: true }));

  it('reads an empty value as the bundled default', () => {
    assert.deepEqual(parseModelReference('', context), { kind: 'default' });
    assert.deepEqual(parseModelReference('   ', context), { kind: 'default' });
  });

  it('reads values written like paths as folders, existing or not', () => {
    const cases: [string, string][] = [
      ['/opt/models/gpt2', '/opt/models/gpt2'],
      ['~/models/gpt2', '/home/someone/models/gpt2'],
      ['./gpt2', path.join(base, 'gpt2')],
      ['../gpt2', path.resolve(base, '..', 'gpt2')],
      ['${workspaceFolder}/gpt2', path.join(base, 'gpt2')],
    ];
    for (const [value, folder] of cases) assert.deepEqual(parseModelReference(value, context), { kind: 'folder', path: folder }, value);
    assert.equal(parseModelReference('C:\\models\\gpt2', context).kind, 'folder');
  });

  it('reads owner/name[@revision] as a Hugging Face id', () => {
    const ref = parseModelReference('raincandy-u/TinyStories-656K@v1', context);
    assert.equal(ref.kind, 'hub');
    assert.equal(ref.kind === 'hub' && ref.id.repo, 'raincandy-u/TinyStories-656K');
    assert.equal(ref.kind === 'hub' && ref.id.revision, 'v1');
    assert.equal(formatModelReference(ref), 'raincandy-u/TinyStories-656K@v1');
    assert.equal(formatModelReference(parseModelReference(' openai-community/gpt2 ', context)), 'openai-community/gpt2');
  });

  it('prefers a folder that exists over an id spelt the same', () => {
    assert.deepEqual(parseModelReference('models/tiny', context), { kind: 'folder', path: path.join(base, 'models', 'tiny') });
  });

  it('leaves anything else to the engine as a folder, so it can say it does not exist', () => {
    assert.deepEqual(parseModelReference('gpt2', context), { kind: 'folder', path: path.join(base, 'gpt2') });
    assert.equal(parseModelReference('a/b/c', context).kind, 'folder');
  });

  it('labels references by id or folder name', () => {
    assert.equal(modelLabel({ kind: 'default' }), 'raincandy-u/TinyStories-656K');
    assert.equal(modelLabel(parseModelReference('/opt/models/gpt2', context)), 'gpt2');
  });
});

describe('locateModel', () => {
  let hub: HubEmulator;
  let cacheRoot: string;

  before(async () => {
    hub = await HubEmulator.start();
    cacheRoot = mkdtempSync(path.join(tmpdir(), 'attention-lens-locate-'));
  });

  after(async () => {
    await hub.stop();
    rmSync(cacheRoot, { recursive: true, force: true });
  });

  it('uses the bundled default without a request when it was prepared', async () => {
    const bundledDir = path.join(MODELS_DIR, 'tinystories-656k');
    assert.equal(hubIdToFetch({ kind: 'default' }, bundledDir), undefined);
    assert.equal(await locateModel({ kind: 'default' }, { cacheRoot, bundledDir, endpoint: hub.url }), bundledDir);
    assert.equal(hub.requestCount, 0);
  });

  it('downloads the default into the cache when it was not bundled', async () => {
    const bundledDir = bundledModelFolder(path.join(cacheRoot, 'no-extension-here'));
    const hubCacheDir = path.join(cacheRoot, 'hf-hub');
    const folder = await locateModel({ kind: 'default' }, { cacheRoot, hubCacheDir, bundledDir, endpoint: hub.url });
    assert.equal(path.dirname(folder), path.join(hubCacheDir, 'models--raincandy-u--TinyStories-656K', 'snapshots'));
    assert.ok(hub.requestCount > 0);
  });

  it('returns folders as they are', async () => {
    assert.equal(await locateModel({ kind: 'folder', path: '/nowhere/model' }, { cacheRoot }), '/nowhere/model');
  });
});
