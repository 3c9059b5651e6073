// The Hugging Face cache shared with Python: a model huggingface_hub downloaded (blobs, relative
// links, refs/main) opens with the Hub emulator off and HF_HUB_OFFLINE=1; a partial one gets only
// its missing files; removal keeps what Python downloaded.
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, before, beforeEach, describe, test } from 'node:test';
import { ensureHubModel, listCachedModels, ModelSourceError, removeCachedModel } from '../../src/models/download';
import { defaultHubCacheDir } from '../../src/models/hubEnvironment';
import { readAsPython, writePythonCache } from '../hub/pythonCache';
import { scanRepo } from '../hub/repoFiles';
import { HubEmulator, MODELS_DIR } from '../hub/server';

const TINY = 'raincandy-u/TinyStories-656K';
const FIXTURE = path.join(MODELS_DIR, 'tinystories-656k');
const SMALL = ['README.md', 'config.json', 'generation_config.json', 'special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json'];
const ALL = [...SMALL, 'onnx/model.onnx'];

function sameAsFixture(folder: string, files: string[]): void {
  for (const file of files) {
    assert.ok(readFileSync(path.join(folder, file)).equals(readFileSync(path.join(FIXTURE, file))), `${file} differs from the fixture`);
  }
}

describe('the Hugging Face cache shared with Python', () => {
  let cacheDir: string;
  let recordsDir: string;
  let down: string;
  const envOffline = process.env.HF_HUB_OFFLINE;
  before(async () => {
    // An endpoint nothing listens on: any request fails.
    const gone = await HubEmulator.start();
    down = gone.url;
    await gone.stop();
  });
  beforeEach(() => {
    cacheDir = mkdtempSync(path.join(tmpdir(), 'attention-lens-hf-cache-'));
    recordsDir = path.join(cacheDir, '..', `${path.basename(cacheDir)}-records`);
  });
  afterEach(() => {
    if (envOffline === undefined) delete process.env.HF_HUB_OFFLINE;
    else process.env.HF_HUB_OFFLINE = envOffline;
    rmSync(cacheDir, { recursive: true, force: true });
    rmSync(recordsDir, { recursive: true, force: true });
  });

  test('the cache folder follows HF_HUB_CACHE, HF_HOME and XDG_CACHE_HOME like huggingface_hub', () => {
    assert.equal(defaultHubCacheDir({ HF_HUB_CACHE: '/a/hub', HF_HOME: '/b' }), path.resolve('/a/hub'));
    assert.equal(defaultHubCacheDir({ HF_HOME: '/b', XDG_CACHE_HOME: '/c' }), path.join(path.resolve('/b'), 'hub'));
    assert.equal(defaultHubCacheDir({ XDG_CACHE_HOME: '/c' }), path.join(path.resolve('/c'), 'huggingface', 'hub'));
    assert.match(defaultHubCacheDir({}), /[\\/]\.cache[\\/]huggingface[\\/]hub$/);
  });

  test('a model Python downloaded opens with the Hub off and HF_HUB_OFFLINE=1, by refs/main and by commit', async () => {
    const { folder, commit } = writePythonCache(cacheDir, TINY, FIXTURE, ALL);
    process.env.HF_HUB_OFFLINE = '1';
    assert.equal(await ensureHubModel(TINY, { cacheDir, recordsDir, endpoint: down }), folder);
    assert.equal(await ensureHubModel(`${TINY}@${commit}`, { cacheDir, recordsDir, endpoint: down }), folder);
    sameAsFixture(folder, ALL);
    assert.ok(lstatSync(path.join(folder, 'onnx', 'model.onnx')).isSymbolicLink(), 'no second copy was made');
    const [listed] = await listCachedModels({ cacheDir, recordsDir });
    assert.deepEqual([listed.id, listed.commit, listed.byAttentionLens], [`${TINY}@main`, commit, false]);
  });

  test('with HF_HUB_OFFLINE=1 a model not in the cache is a clear error and no request is made', async () => {
    const hub = await HubEmulator.start();
    try {
      process.env.HF_HUB_OFFLINE = 'true';
      await assert.rejects(ensureHubModel(TINY, { cacheDir, endpoint: hub.url }), (err: unknown) => {
        assert.ok(err instanceof ModelSourceError);
        assert.equal(err.code, 'offline-mode');
        assert.match(err.message, /not in the Hugging Face cache .*HF_HUB_OFFLINE/);
        return true;
      });
      assert.equal(hub.requestCount, 0);
    } finally {
      await hub.stop();
    }
  });

  test('a snapshot Python downloaded in part gets only its missing files, beside the ones it had', async () => {
    // Downloaded from the same Hub, so at the commit the emulator serves.
    const { folder } = writePythonCache(cacheDir, TINY, FIXTURE, SMALL, { commit: scanRepo(FIXTURE).commit });
    const hub = await HubEmulator.start();
    try {
      assert.equal(await ensureHubModel(TINY, { cacheDir, recordsDir, endpoint: hub.url }), folder);
      const downloaded = hub.requests.filter((r) => r.method === 'GET' && r.range === undefined && r.url.includes('/resolve/')).map((r) => r.url.split('/').slice(-2).join('/'));
      assert.deepEqual(downloaded, ['onnx/model.onnx']);
    } finally {
      await hub.stop();
    }
    sameAsFixture(folder, ALL);
    assert.ok(readAsPython(cacheDir, TINY, 'main', 'onnx/model.onnx').equals(readFileSync(path.join(FIXTURE, 'onnx/model.onnx'))));

    // Removing "our" download takes the graph it fetched and leaves Python's files.
    assert.equal(await removeCachedModel(`${TINY}@main`, { cacheDir, recordsDir }), true);
    assert.equal(existsSync(path.join(folder, 'onnx', 'model.onnx')), false);
    sameAsFixture(folder, SMALL);
    const [left] = await listCachedModels({ cacheDir, recordsDir });
    assert.equal(left.byAttentionLens, false);
  });

  test('removing downloaded models keeps a snapshot Python downloaded, unless asked for any origin', async () => {
    const python = 'someone/python-model';
    const { folder } = writePythonCache(cacheDir, python, FIXTURE, ALL);
    const hub = await HubEmulator.start();
    try {
      await ensureHubModel(TINY, { cacheDir, recordsDir, endpoint: hub.url });
    } finally {
      await hub.stop();
    }
    const listed = await listCachedModels({ cacheDir, recordsDir });
    assert.deepEqual(listed.map((m) => [m.id, m.byAttentionLens]), [[`${TINY}@main`, true], [`${python}@main`, false]]);

    assert.equal(await removeCachedModel(python, { cacheDir, recordsDir }), false);
    sameAsFixture(folder, ALL);
    assert.equal(await removeCachedModel(TINY, { cacheDir, recordsDir }), true);
    assert.deepEqual(readdirSync(cacheDir), [path.basename(path.dirname(path.dirname(folder)))]);
    sameAsFixture(folder, ALL);

    assert.equal(await removeCachedModel(python, { cacheDir, recordsDir, anyOrigin: true }), true);
    assert.deepEqual(readdirSync(cacheDir), []);
  });
});
