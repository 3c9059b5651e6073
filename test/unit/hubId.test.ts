// Parsing Hub model ids, and choosing which files of a repo make a model folder.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ModelSourceError } from '../../src/models/errors';
import { selectModelFiles, type RepoFile } from '../../src/models/fileSelection';
import { announcedSha256 } from '../../src/models/fileTransfer';
import { formatHubId, parseHubId, repoFolderName, revisionFolderName } from '../../src/models/hubId';

describe('parseHubId', () => {
  test('reads owner/name with main as the default revision', () => {
    assert.deepEqual(parseHubId(' raincandy-u/TinyStories-656K '), {
      owner: 'raincandy-u',
      name: 'TinyStories-656K',
      repo: 'raincandy-u/TinyStories-656K',
      revision: 'main',
      revisionGiven: false,
    });
  });

  test('reads branches, tags, PR refs and commits after @', () => {
    for (const revision of ['v1.0', 'refs/pr/1', 'dev_branch', '0123456789abcdef0123456789abcdef01234567']) {
      const id = parseHubId(`google/bert_uncased_L-2_H-128_A-2@${revision}`);
      assert.equal(id.revision, revision);
      assert.equal(id.revisionGiven, true);
      assert.equal(formatHubId(id), `google/bert_uncased_L-2_H-128_A-2@${revision}`);
    }
  });

  test('refuses anything else with a bad-id error that says what is wrong', () => {
    const cases: [string, RegExp][] = [
      ['', /empty/],
      ['gpt2', /owner is missing/],
      ['a/b/c', /more than one "\/"/],
      ['owner/', /name is empty/],
      ['/name', /owner is empty/],
      ['own er/name', /owner "own er"/],
      ['owner/na--me', /name "na--me"/],
      ['owner/.hidden', /name ".hidden"/],
      ['owner/name@', /revision after "@" is empty/],
      ['owner/name@../../etc', /revision "..\/..\/etc"/],
      ['owner/name@refs//pr', /revision/],
      [`owner/${'x'.repeat(97)}`, /longer than 96/],
    ];
    for (const [text, why] of cases) {
      assert.throws(
        () => parseHubId(text),
        (err: unknown) => err instanceof ModelSourceError && err.code === 'bad-id' && why.test(err.message) && err.message.includes('owner/name'),
        `"${text}"`,
      );
    }
  });

  test('names cache folders without ambiguity', () => {
    assert.equal(repoFolderName(parseHubId('Qwen/Qwen2.5-0.5B')), 'Qwen--Qwen2.5-0.5B');
    assert.equal(revisionFolderName('refs/pr/1'), 'refs%2Fpr%2F1');
  });
});

const file = (path: string, size = 10): RepoFile => ({ path, size });

describe('selectModelFiles', () => {
  test('takes config, tokenizer, card and the preferred graph with its external data; no safetensors beside an ONNX export', () => {
    const chosen = selectModelFiles('o/n', [
      file('config.json'),
      file('tokenizer.json'),
      file('README.md'),
      file('golden.json'),
      file('onnx/model.onnx'),
      file('onnx/model.onnx_data'),
      file('onnx/model_quantized.onnx'),
      file('onnx/decoder_model.onnx'),
      file('model.safetensors'),
      file('pytorch_model.bin'),
      file('tf_model.h5'),
    ]).map((f) => f.path);
    assert.deepEqual(chosen.sort(), ['README.md', 'config.json', 'onnx/model.onnx', 'onnx/model.onnx_data', 'tokenizer.json']);
  });

  test('takes the preferred decoder graph and none of the checkpoint shards beside it', () => {
    const chosen = selectModelFiles('o/n', [
      file('config.json'),
      file('model.safetensors.index.json'),
      file('model-00001-of-00002.safetensors'),
      file('model-00002-of-00002.safetensors'),
      file('onnx/decoder_model_merged.onnx'),
      file('onnx/decoder_model.onnx'),
    ]).map((f) => f.path);
    assert.deepEqual(chosen.sort(), [
      'config.json',
      'onnx/decoder_model.onnx',
    ]);
  });

  test('takes every shard of a sharded checkpoint with its index when the repo has no ONNX export', () => {
    const chosen = selectModelFiles('o/n', [
      file('config.json'),
      file('tokenizer.json'),
      file('model.safetensors.index.json'),
      file('model-00001-of-00002.safetensors'),
      file('model-00002-of-00002.safetensors'),
      file('pytorch_model.bin'),
    ]).map((f) => f.path);
    assert.deepEqual(chosen.sort(), [
      'config.json',
      'model-00001-of-00002.safetensors',
      'model-00002-of-00002.safetensors',
      'model.safetensors.index.json',
      'tokenizer.json',
    ]);
  });

  test('refuses repos without config.json or without loadable weights', () => {
    assert.throws(() => selectModelFiles('o/n', [file('model.safetensors')]), /no config\.json/);
    assert.throws(
      () => selectModelFiles('o/n', [file('config.json'), file('pytorch_model.bin')]),
      (err: unknown) => err instanceof ModelSourceError && err.code === 'unsupported',
    );
  });
});

describe('announcedSha256', () => {
  const sha = 'a'.repeat(64);
  test('prefers the listing, falls back to a sha256-shaped ETag, ignores other ETags', () => {
    assert.equal(announcedSha256({ path: 'm', size: 1, lfsSha256: sha.toUpperCase() }, '"b"'), sha);
    assert.equal(announcedSha256({ path: 'm', size: 1 }, `W/"${sha}"`), sha);
    assert.equal(announcedSha256({ path: 'm', size: 1 }, '"0123456789abcdef0123456789abcdef01234567"'), undefined);
    assert.equal(announcedSha256({ path: 'm', size: 1 }, undefined), undefined);
  });
});
