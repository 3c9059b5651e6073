import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import { EngineError } from '../../src/engine/errors';
import { exposeAttention } from '../../src/engine/surgery';
import { MODELS_DIR } from './fixtures';

const GRAPHS: [string, number][] = [
  ['tinystories-656k/onnx/model.onnx', 2],
  ['tinystories-656k/onnx/model_with_past.onnx', 2],
  ['stories260k/onnx/model.onnx', 5],
  ['bert-tiny-random/onnx/model.onnx', 2],
];

const read = (rel: string) => readFileSync(path.join(MODELS_DIR, rel));

function floatInput(name: string) {
  return { name, type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: [{ dimValue: 1 }, { dimParam: 'T' }, { dimValue: 4 }] } } } };
}

/** A one-node graph using one of onnxruntime's fused attention kernels. */
function fusedAttentionModel(opType = 'Attention'): Uint8Array {
  return onnx.ModelProto.encode({
    irVersion: 7,
    opsetImport: [{ domain: '', version: 14 }, { domain: 'com.microsoft', version: 1 }],
    graph: {
      name: 'fused',
      node: [{ opType, domain: 'com.microsoft', name: 'attn', input: ['x', 'w', 'b'], output: ['y'],
        attribute: [{ name: 'num_heads', type: onnx.AttributeProto.AttributeType.INT, i: 2 }] }],
      input: [floatInput('x')],
      output: [floatInput('y')],
      initializer: [
        { name: 'w', dataType: onnx.TensorProto.DataType.FLOAT, dims: [4, 12], floatData: new Array(48).fill(0.1) },
        { name: 'b', dataType: onnx.TensorProto.DataType.FLOAT, dims: [12], floatData: new Array(12).fill(0) },
      ],
    },
  }).finish();
}

/** Softmax over logits that is not attention: no MatMul on either side. */
function classifierModel(): Uint8Array {
  return onnx.ModelProto.encode({
    irVersion: 7,
    opsetImport: [{ domain: '', version: 14 }],
    graph: {
      name: 'classifier',
      node: [{ opType: 'Softmax', name: 'probs', input: ['x'], output: ['y'] }],
      input: [floatInput('x')],
      output: [floatInput('y')],
    },
  }).finish();
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof EngineError, `expected an EngineError, got ${String(err)}`);
    return err.code;
  }
  return undefined;
}

describe('graph surgery', () => {
  for (const [rel, layers] of GRAPHS) {
    it(`${rel}: exactly one Softmax per layer, exposed as outputs onnxruntime accepts`, async () => {
      const exposed = exposeAttention(read(rel));
      assert.equal(exposed.attentionOutputs.length, layers);
      assert.deepEqual(exposed.softmaxNodes.map((n) => n.match(/layers?\.(\d+)\//)?.[1]),
        [...Array(layers).keys()].map(String), 'one Softmax per layer, in layer order');
      const session = await ort.InferenceSession.create(exposed.bytes);
      for (const name of exposed.attentionOutputs) assert.ok(session.outputNames.includes(name), `${name} is an output`);
      for (const name of exposed.outputs) assert.ok(session.outputNames.includes(name), `original output ${name} kept`);
      await session.release();
    });
  }

  it('declares the inputs the engine must feed, by name', () => {
    const bert = exposeAttention(read('bert-tiny-random/onnx/model.onnx'));
    assert.deepEqual(bert.inputs.map((i) => i.name), ['input_ids', 'attention_mask', 'token_type_ids']);
    const past = exposeAttention(read('tinystories-656k/onnx/model_with_past.onnx'));
    assert.ok(past.inputs.some((i) => i.name === 'past_key_values.1.value' && i.dims[1] === 4 && i.dims[3] === 16));
  });

  it('a fused com.microsoft.Attention graph is rewritten, and its probabilities exposed', async () => {
    const exposed = exposeAttention(fusedAttentionModel());
    assert.equal(exposed.attentionOutputs.length, 1);
    const session = await ort.InferenceSession.create(exposed.bytes);
    const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from({ length: 12 }, (_, i) => i / 12), [1, 3, 4]) });
    assert.deepEqual([...out[exposed.attentionOutputs[0]].dims], [1, 2, 3, 3]);
  });

  it('a fused kernel the rewrite does not cover gets the fused-attention error that points to an unfused export', () => {
    assert.equal(codeOf(() => exposeAttention(fusedAttentionModel('PackedAttention'))), 'fused-attention');
    assert.throws(() => exposeAttention(fusedAttentionModel('PackedAttention')), /fused attention.*unfused export/s);
  });

  it('a graph whose Softmax is not attention says no attention was found', () => {
    assert.equal(codeOf(() => exposeAttention(classifierModel())), 'no-attention');
  });

  it('a truncated file gives an error instead of a crash', () => {
    const bytes = read('tinystories-656k/onnx/model.onnx');
    for (const cut of [10, 1000, Math.floor(bytes.length / 2), bytes.length - 7]) {
      assert.equal(codeOf(() => exposeAttention(bytes.subarray(0, cut))), 'onnx-invalid', `cut at ${cut}`);
    }
    assert.equal(codeOf(() => exposeAttention(new TextEncoder().encode('not a model at all'))), 'onnx-invalid');
  });
});
