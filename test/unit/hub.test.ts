// Downloading models from a Hub, against the local emulator in test/hub serving ../shared/models.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { ensureHubModel, listCachedModels, ModelSourceError, removeCachedModel } from '../../src/models/download';
import { readAsPython, pythonEtag, pythonRepoFolder } from '../hub/pythonCache';
import { EMULATOR_TOKEN, fixtureRepos, GATED_REPO, HubEmulator, MODELS_DIR } from '../hub/server';

const TINY = 'raincandy-u/TinyStories-656K';
const FIXTURE = path.join(MODELS_DIR, 'tinystories-656k');
// What the selection takes from the fixture: config, tokenizer, card and the one graph the engine
// loads; not the safetensors (an ONNX export is there) nor the other graph (model_with_past.onnx).
const EXPECTED_FILES = [
  'README.md',
  'config.json',
  'generation_config.json',
  'onnx/model.onnx',
  'special_tokens_map.json',
  'tokenizer.json',
  'tokenizer_config.json',
];

function filesIn(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesIn(path.join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`],
  );
}

/** Every file in the folder, for checks that nothing is left behind. */
function everything(dir: string): string[] {
  return existsSync(dir) ? filesIn(dir) : [];
}

function assertIdenticalToFixture(folder: string): void {
  const files = filesIn(folder).filter((f) => !f.startsWith('.')).sort();
  assert.deepEqual(files, EXPECTED_FILES);
  for (const file of files) {
    assert.ok(readFileSync(path.join(folder, file)).equals(readFileSync(path.join(FIXTURE, file))), `${file} differs from the fixture`);
  }
}

/** Asserts the promise rejects with a ModelSourceError of `code`, returning it for more checks. */
async function rejectsWith(promise: Promise<unknown>, code: string): Promise<ModelSourceError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof ModelSourceError, `expected a ModelSourceError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`expected a ${code} error`);
}

/** Nothing of `id` in the cache: no snapshot, no blob, no unfinished download. */
function assertNothingCached(cacheDir: string, id = TINY): void {
  const leftovers = everything(pythonRepoFolder(cacheDir, id));
  assert.deepEqual(leftovers, [], `files were left: ${leftovers.join(', ')}`);
}

describe('ensureHubModel', () => {
  let hub: HubEmulator;
  let cacheDir: string;
  // A token in the environment would be sent to the emulator (and one without `hf_` refused).
  const envToken = process.env.HF_TOKEN;
  before(async () => {
    delete process.env.HF_TOKEN;
    hub = await HubEmulator.start();
  });
  after(async () => {
    if (envToken !== undefined) process.env.HF_TOKEN = envToken;
    await hub.stop();
  });
  beforeEach(() => {
    hub.faults = {};
    cacheDir = mkdtempSync(path.join(tmpdir(), 'attention-lens-hub-'));
  });
  afterEach(() => {
    rmSync(cacheDir, { recursive: true, force: true });
  });

  test('downloads the model files byte-identical to the served folder, into the Hugging Face cache layout', async () => {
    const folder = await ensureHubModel(TINY, { cacheDir, endpoint: hub.url });
    const repoDir = pythonRepoFolder(cacheDir, TINY);
    const commit = readFileSync(path.join(repoDir, 'refs', 'main'), 'utf8');
    assert.equal(folder, path.join(repoDir, 'snapshots', commit));
    assertIdenticalToFixture(folder);
    // Read back by huggingface_hub's rules alone: refs/main, relative links, blobs named by etag.
    for (const file of EXPECTED_FILES) {
      assert.ok(readAsPython(cacheDir, TINY, 'main', file).equals(readFileSync(path.join(FIXTURE, file))), `${file} as Python reads it`);
    }
    const blobs = EXPECTED_FILES.map((f) => pythonEtag(f, readFileSync(path.join(FIXTURE, f)))).sort();
    assert.deepEqual(readdirSync(path.join(repoDir, 'blobs')).sort(), blobs, 'one blob per file and nothing else');
    assert.deepEqual(readdirSync(repoDir).sort(), ['blobs', 'refs', 'snapshots']);
    const [cached] = await listCachedModels({ cacheDir });
    assert.equal(cached.id, `${TINY}@main`);
    assert.equal(cached.commit, commit);
  });

  test('a complete download is reused without any request, even with the server stopped', async () => {
    const down = await HubEmulator.start();
    const first = await ensureHubModel(TINY, { cacheDir, endpoint: down.url });
    const seen = down.requestCount;
    assert.equal(await ensureHubModel(TINY, { cacheDir, endpoint: down.url }), first);
    assert.equal(down.requestCount, seen);
    await down.stop();
    assert.equal(await ensureHubModel(TINY, { cacheDir, endpoint: down.url }), first);
    assertIdenticalToFixture(first);
  });

  test('a file that does not match the announced sha256 is an error and nothing is cached', async () => {
    hub.faults = { lieAboutSha256: true };
    const err = await rejectsWith(ensureHubModel(TINY, { cacheDir, endpoint: hub.url }), 'sha-mismatch');
    assert.match(err.message, /sha256/);
    assertNothingCached(cacheDir);
    assert.deepEqual(await listCachedModels({ cacheDir }), []);
  });

  test('an interrupted download is an error, leaves nothing usable, and a retry succeeds', async () => {
    hub.faults = { cutAfterBytes: 100_000 };
    const err = await rejectsWith(ensureHubModel(TINY, { cacheDir, endpoint: hub.url }), 'interrupted');
    assert.match(err.message, /interrupted|stopped/);
    assertNothingCached(cacheDir);
    hub.faults = {};
    assertIdenticalToFixture(await ensureHubModel(TINY, { cacheDir, endpoint: hub.url }));
  });

  test('a server that is down gives the offline error, naming the endpoint', async () => {
    const gone = await HubEmulator.start();
    await gone.stop();
    const err = await rejectsWith(ensureHubModel(TINY, { cacheDir, endpoint: gone.url }), 'offline');
    assert.equal(err.message, `Cannot reach ${gone.url}; check your connection or HF_ENDPOINT.`);
    assertNothingCached(cacheDir);
  });

  test('a gated repo needs a token: without one the error says so, with it the download works', async () => {
    const without = await rejectsWith(ensureHubModel(GATED_REPO, { cacheDir, endpoint: hub.url, token: '' }), 'gated');
    assert.match(without.message, /gated: accept its licence on the Hub and set a token/);
    const wrong = await rejectsWith(ensureHubModel(GATED_REPO, { cacheDir, endpoint: hub.url, token: 'hf_wrong' }), 'gated');
    assert.match(wrong.message, /token was refused/);
    await rejectsWith(ensureHubModel(GATED_REPO, { cacheDir, endpoint: hub.url, token: 'not-a-token' }), 'bad-token');
    assertNothingCached(cacheDir, GATED_REPO);
    assertIdenticalToFixture(await ensureHubModel(GATED_REPO, { cacheDir, endpoint: hub.url, token: EMULATOR_TOKEN }));
  });

  test('an id that is not owner/name[@revision] is refused before any request', async () => {
    const seen = hub.requestCount;
    const err = await rejectsWith(ensureHubModel('tinystories', { cacheDir, endpoint: hub.url }), 'bad-id');
    assert.match(err.message, /owner is missing/);
    assert.equal(hub.requestCount, seen);
  });

  test('a missing repo or revision is not-found', async () => {
    await rejectsWith(ensureHubModel('nobody/nothing', { cacheDir, endpoint: hub.url }), 'not-found');
    const err = await rejectsWith(ensureHubModel(`${TINY}@v9`, { cacheDir, endpoint: hub.url }), 'not-found');
    assert.match(err.message, /revision "v9"/);
  });

  test('progress reports growing byte counts up to the total of all files', async () => {
    const calls: [number, number, string][] = [];
    await ensureHubModel(TINY, { cacheDir, endpoint: hub.url, onProgress: (done, total, file) => calls.push([done, total, file]) });
    const total = EXPECTED_FILES.reduce((sum, f) => sum + readFileSync(path.join(FIXTURE, f)).length, 0);
    assert.ok(calls.length > EXPECTED_FILES.length);
    assert.ok(calls.every(([, t]) => t === total));
    assert.ok(calls.every(([done], i) => i === 0 || done >= calls[i - 1][0]));
    assert.deepEqual(calls[0].slice(0, 2), [0, total]);
    assert.equal(calls.at(-1)![0], total);
    assert.deepEqual([...new Set(calls.map(([, , file]) => file))].sort(), EXPECTED_FILES);
  });

  test('an AbortSignal cancels mid-file, and nothing is cached', async () => {
    hub.faults = { chunkDelayMs: 5 };
    const controller = new AbortController();
    let doneAtAbort = 0;
    const download = ensureHubModel(TINY, {
      cacheDir,
      endpoint: hub.url,
      signal: controller.signal,
      onProgress: (done, _total, file) => {
        if (file === 'onnx/model.onnx' && !controller.signal.aborted) {
          doneAtAbort = done;
          controller.abort();
        }
      },
    });
    const err = await rejectsWith(download, 'cancelled');
    assert.ok(doneAtAbort > 0);
    assert.match(err.message, /cancelled/);
    assertNothingCached(cacheDir);
    const seen = hub.requestCount;
    await rejectsWith(ensureHubModel(TINY, { cacheDir, endpoint: hub.url, signal: AbortSignal.abort() }), 'cancelled');
    assert.equal(hub.requestCount, seen, 'an already cancelled call made requests');
  });

  test('concurrent downloads of one model both end with the same complete snapshot', async () => {
    const [a, b] = await Promise.all([
      ensureHubModel(TINY, { cacheDir, endpoint: hub.url }),
      ensureHubModel(TINY, { cacheDir, endpoint: hub.url }),
    ]);
    assert.equal(a, b);
    assertIdenticalToFixture(a);
    assert.deepEqual(readdirSync(path.dirname(a)).length, 1);
    assert.ok(readdirSync(path.join(pythonRepoFolder(cacheDir, TINY), 'blobs')).every((b) => !b.endsWith('.incomplete')));
  });

  test('an unfinished blob of a crashed download is swept, and a snapshot without weights is completed', async () => {
    const repoDir = pythonRepoFolder(cacheDir, TINY);
    const litter = path.join(repoDir, 'blobs', `${'e'.repeat(64)}.999999999-deadbeef.incomplete`);
    mkdirSync(path.dirname(litter), { recursive: true });
    writeFileSync(litter, 'half a file');
    const first = await ensureHubModel(TINY, { cacheDir, endpoint: hub.url });
    rmSync(path.join(first, 'onnx', 'model.onnx'));
    assertIdenticalToFixture(await ensureHubModel(TINY, { cacheDir, endpoint: hub.url }));
    assert.equal(existsSync(litter), false);
  });

  test('listCachedModels and removeCachedModel manage the cache by id', async () => {
    const recordsDir = path.join(cacheDir, 'records');
    await ensureHubModel(TINY, { cacheDir, recordsDir, endpoint: hub.url });
    await ensureHubModel(`${TINY}@HEAD`, { cacheDir, recordsDir, endpoint: hub.url });
    // HEAD and main name the same commit: one snapshot, listed under main.
    const listed = await listCachedModels({ cacheDir, recordsDir });
    assert.deepEqual(listed.map((m) => [m.id, m.byAttentionLens]), [[`${TINY}@main`, true]]);
    assert.equal(await removeCachedModel(`${TINY}@HEAD`, { cacheDir, recordsDir }), true);
    assert.deepEqual(await listCachedModels({ cacheDir, recordsDir }), []);
    assertNothingCached(cacheDir);
    await ensureHubModel(TINY, { cacheDir, recordsDir, endpoint: hub.url });
    assert.equal(await removeCachedModel(TINY, { cacheDir, recordsDir }), true);
    assert.equal(await removeCachedModel(TINY, { cacheDir, recordsDir }), false);
    assertNothingCached(cacheDir);
  });

  test('a repo without ONNX or safetensors weights is refused before downloading', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'attention-lens-repo-'));
    writeFileSync(path.join(dir, 'config.json'), '{"model_type":"bert"}');
    writeFileSync(path.join(dir, 'pytorch_model.bin'), Buffer.alloc(16));
    const torchOnly = await HubEmulator.start({ repos: { ...fixtureRepos(), 'someone/torch-only': { dir } } });
    try {
      const err = await rejectsWith(ensureHubModel('someone/torch-only', { cacheDir, endpoint: torchOnly.url }), 'unsupported');
      assert.match(err.message, /pytorch_model\.bin/);
      assert.equal(torchOnly.requests.filter((r) => r.url.includes('/resolve/')).length, 0);
    } finally {
      await torchOnly.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
