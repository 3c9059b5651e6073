// Which variant graph a precision choice picks, from a folder's or repo's file list (pure logic),
// and which files the Hub downloader takes for it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chooseVariant, graphVariants, isDataFileOf, type GraphVariant } from '../../src/engine/variants';
import { selectModelFiles } from '../../src/models/fileSelection';

const MB = 1e6;
const GB = 1e9;
// An onnx-community repo of a 0.5B model, sizes as the Hub lists them.
const REPO = [
  { path: 'config.json', size: 700 },
  { path: 'tokenizer.json', size: 7 * MB },
  { path: 'model.safetensors', size: 988 * MB },
  { path: 'onnx/model.onnx', size: 0.4 * MB },
  { path: 'onnx/model.onnx_data', size: 1976 * MB },
  { path: 'onnx/model_fp16.onnx', size: 988 * MB },
  { path: 'onnx/model_quantized.onnx', size: 500 * MB },
  { path: 'onnx/model_q4.onnx', size: 750 * MB },
  { path: 'onnx/model_q4f16.onnx', size: 470 * MB },
  { path: 'onnx/decoder_model_merged.onnx', size: 1 * MB },
];

function pick(choice: Parameters<typeof chooseVariant>[1], memory: number, files = REPO): GraphVariant {
  const chosen = chooseVariant(graphVariants(files), choice, memory);
  assert.ok(typeof chosen !== 'string', String(chosen));
  return chosen;
}

describe('choosing a variant', () => {
  it('lists the variants of the preferred graph, with data files and sizes', () => {
    const variants = graphVariants(REPO);
    assert.deepEqual(variants.map((v) => [v.graph, v.precision]), [
      ['onnx/model.onnx', 'fp32'], ['onnx/model_fp16.onnx', 'fp16'], ['onnx/model_quantized.onnx', 'q8'],
      ['onnx/model_q4.onnx', 'q4'], ['onnx/model_q4f16.onnx', 'q4'],
    ]);
    assert.deepEqual(variants[0].dataFiles, ['onnx/model.onnx_data']);
    assert.equal(variants[0].bytes, 1976.4 * MB);
  });

  it('auto takes fp32 when it is at most a quarter of memory, else the smallest variant', () => {
    assert.equal(pick('auto', 16 * GB).graph, 'onnx/model.onnx');
    assert.equal(pick('auto', 4 * GB).graph, 'onnx/model_q4f16.onnx');
    const noFp32 = REPO.filter((f) => !f.path.startsWith('onnx/model.onnx'));
    assert.equal(pick('auto', 64 * GB, noFp32).graph, 'onnx/model_q4f16.onnx');
  });

  it('an explicit choice takes the first file of that kind, in transformers.js order', () => {
    assert.equal(pick('fp16', 1 * GB).graph, 'onnx/model_fp16.onnx');
    assert.equal(pick('q8', 1 * GB).graph, 'onnx/model_quantized.onnx');
    assert.equal(pick('q4', 1 * GB).graph, 'onnx/model_q4.onnx');
    assert.equal(pick('fp32', 1 * GB).graph, 'onnx/model.onnx');
    const int8 = [{ path: 'onnx/model_uint8.onnx', size: 1 }, { path: 'onnx/model_bnb4.onnx', size: 1 }];
    assert.equal(pick('q8', 1 * GB, int8).graph, 'onnx/model_uint8.onnx');
    assert.equal(pick('q4', 1 * GB, int8).graph, 'onnx/model_bnb4.onnx');
  });

  it('a choice the files lack says what they have', () => {
    const only = [{ path: 'onnx/model_q4.onnx', size: 1 }];
    assert.equal(chooseVariant(graphVariants(only), 'fp16', GB), 'it has no fp16 variant (it has q4)');
    assert.equal(chooseVariant([], 'auto', GB), 'there is no ONNX graph');
  });

  it('names external data the way exporters do, and nothing else', () => {
    for (const f of ['model.onnx_data', 'model.onnx_data_1', 'model.onnx_data_12', 'model.onnx.data']) assert.ok(isDataFileOf('model.onnx', f), f);
    for (const f of ['model.onnx', 'model.onnx_database', 'model_fp16.onnx_data', 'model.onnx.json']) assert.ok(!isDataFileOf('model.onnx', f), f);
  });
});

describe('the Hub download of a variant', () => {
  const paths = (precision: Parameters<typeof selectModelFiles>[2], memory: number) =>
    selectModelFiles('owner/model', REPO, precision, memory).map((f) => f.path);

  it('takes the chosen graph and its data files, never the safetensors or other graphs', () => {
    assert.deepEqual(paths('auto', 16 * GB), ['config.json', 'tokenizer.json', 'onnx/model.onnx', 'onnx/model.onnx_data']);
    assert.deepEqual(paths('auto', 4 * GB), ['config.json', 'tokenizer.json', 'onnx/model_q4f16.onnx']);
    assert.deepEqual(paths('q8', 16 * GB), ['config.json', 'tokenizer.json', 'onnx/model_quantized.onnx']);
  });

  it('takes the safetensors when there is no ONNX export, and refuses a precision the repo lacks', () => {
    const noOnnx = REPO.filter((f) => !f.path.startsWith('onnx/'));
    assert.deepEqual(selectModelFiles('owner/model', noOnnx).map((f) => f.path), ['config.json', 'tokenizer.json', 'model.safetensors']);
    assert.throws(() => selectModelFiles('owner/model', [{ path: 'config.json', size: 1 }, { path: 'onnx/model_q4.onnx', size: 1 }], 'fp16'),
      /owner\/model cannot be loaded at precision fp16: it has no fp16 variant \(it has q4\)/);
  });
});
