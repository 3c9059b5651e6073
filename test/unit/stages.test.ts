// Graphs cut into per-layer stages: for every fixture, every export style and graphs built from
// safetensors, the staged run gives the uncut run's attention (bit for bit in float32; half-precision
// graphs within HALF_STAGED_TOLERANCE), one layer per stage in order; recomputing a layer gives its first
// run's bits; the stages hold each weight once; a cancelled run stops between stages; and a graph
// with control flow runs whole, saying why (and asked for float16, rounds as the encoder does).
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { onnx } from 'onnx-proto';
import { EXPORT_STYLES } from '../../scripts/exportStyles';
import { encodeFloat16 } from '../../src/attention/quantize';
import { AttentionModel } from '../../src/engine/attentionModel';
import { EngineError } from '../../src/engine/errors';
import { buildFeeds } from '../../src/engine/feeds';
import { buildOnnxFromCheckpoint } from '../../src/engine/graphs';
import { Pipeline } from '../../src/engine/pipeline';
import { StagedSessions } from '../../src/engine/stagedSessions';
import { planStages } from '../../src/engine/stages';
import { exposeAttention } from '../../src/engine/surgery';
import type { LayerAttention } from '../../src/protocol';
import { checkpointFolder, removeTempFolders, tempFolder } from './buildCheckpoint';
import { tinyBert, tinyGpt2, tinyLlama, type TinyModel } from './buildModels';
import { FIXTURES, golden, MODELS_DIR, ROOT } from './fixtures';
import { encode, floats, I64, F32, node, random, valueInfo } from './fusedGraphs';
import { assertWeightsOnce, HALF_STAGED_TOLERANCE, layerDiff, sameBits, STAGED_TOLERANCE, uncutLayers } from './stagedRuns';

const STYLES_DIR = path.join(ROOT, '.cache', 'stages-test');
const report = (what: string, diff: number, bytes: number) => console.log(`  ${what}: staged vs uncut max |Δ| ${diff.toExponential(2)}, ${bytes} bytes of weights in the stages`);

/** Loads `location`, runs the golden prompts staged, and checks them against the uncut graph and recompute. */
async function checkModel(what: string, location: string, fixture: string): Promise<void> {
  const model = await AttentionModel.load(location, 'cpu');
  try {
    assert.equal(model.wholeReason, undefined);
    const plan = planStages(model.graph);
    assert.equal(plan.kind, 'staged');
    if (plan.kind !== 'staged') return;
    assert.equal(plan.stages.length, model.info.layers);
    const bytes = assertWeightsOnce(model.graph, plan.stages);
    let worst = 0;
    for (const prompt of golden(fixture)) {
      const encoded = model.encode(prompt.text, 512);
      const order: number[] = [];
      const layers: Float32Array[] = [];
      const kept = await model.runStages(encoded, (layer, data) => { order.push(layer); layers[layer] = data as Float32Array; }, undefined, true);
      assert.deepEqual(order, [...Array(model.info.layers).keys()]);
      const ids = encoded.tokens.map((t) => t.id);
      const uncut = await uncutLayers(model.graph, path.dirname(model.folder.onnxPath!), buildFeeds(model.graph.inputs, ids, encoded.typeIds, model.folder.config));
      layers.forEach((data, l) => { worst = Math.max(worst, layerDiff(data, uncut[l])); });
      for (const l of [...order].reverse()) assert.ok(sameBits(await model.recomputeLayer(kept!, l), layers[l]), `${prompt.id}: recomputed layer ${l} differs`);
      kept!.dispose();
    }
    report(what, worst, bytes);
    const half = model.info.precision === 'fp16' || model.info.precision === 'bf16';
    assert.ok(worst <= (half ? HALF_STAGED_TOLERANCE : STAGED_TOLERANCE), `${what}: staged differs from uncut by ${worst}`);
  } finally {
    await model.dispose();
  }
}

/** The same checks one level down, for graphs built from safetensors (the folders have no tokenizer). */
async function checkBuilt(what: string, dir: string, config: Record<string, unknown>, ids: number[]): Promise<void> {
  const graph = exposeAttention(await buildOnnxFromCheckpoint(dir));
  const plan = planStages(graph);
  assert.equal(plan.kind, 'staged');
  if (plan.kind !== 'staged') return;
  const bytes = assertWeightsOnce(graph, plan.stages);
  // Built graphs keep the weights in the checkpoint, by byte range: so do the stages.
  const external = plan.stages.flatMap((s) => s.parts.flatMap((p) => p.initializers)).filter((t) => t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL);
  assert.ok(external.length > 0);
  for (const t of external) assert.equal(t.externalData?.find((e) => e.key === 'location')?.value, 'model.safetensors');
  const opened = await StagedSessions.open(graph.model, plan.stages, 'cpu', dir);
  assert.ok('staged' in opened);
  const staged = opened.staged;
  try {
    const feeds = buildFeeds(graph.inputs, ids, [], config);
    const layers: Float32Array[] = [];
    const kept = await staged.run(feeds, ids.length, (layer, t) => { layers.push(t.data as Float32Array); assert.equal(layer, layers.length - 1); }, undefined, true);
    const uncut = await uncutLayers(graph, dir, feeds);
    assert.equal(layers.length, uncut.length);
    const worst = Math.max(...layers.map((data, l) => layerDiff(data, uncut[l])));
    for (let l = 0; l < layers.length; l++) assert.ok(sameBits((await staged.recompute(kept!, l)).data as Float32Array, layers[l]));
    kept!.dispose();
    report(what, worst, bytes);
    assert.ok(worst <= STAGED_TOLERANCE, `${what}: staged differs from uncut by ${worst}`);
  } finally {
    await staged.release();
  }
}

describe('per-layer stages', () => {
  before(async () => {
    for (const style of EXPORT_STYLES) await style.build(path.join(STYLES_DIR, style.name));
  });
  after(removeTempFolders);

  for (const fixture of FIXTURES) {
    it(`${fixture}: staged equals uncut, layers in order, recompute exact, weights once`, () =>
      checkModel(fixture, path.join(MODELS_DIR, fixture), fixture));
  }

  for (const style of EXPORT_STYLES) {
    it(`export style ${style.name}: staged equals uncut, recompute exact, weights once`, () =>
      checkModel(style.name, path.join(STYLES_DIR, style.name, style.graph), style.fixture));
  }

  for (const fixture of ['stories260k', 'tinystories-656k']) {
    it(`${fixture} built from its safetensors: staged equals uncut, weights stay in the checkpoint`, async () => {
      const config = JSON.parse(readFileSync(path.join(MODELS_DIR, fixture, 'config.json'), 'utf8')) as Record<string, unknown>;
      const dir = tempFolder();
      for (const file of ['config.json', 'model.safetensors']) copyFileSync(path.join(MODELS_DIR, fixture, file), path.join(dir, file));
      await checkBuilt(`${fixture} (safetensors)`, dir, config, golden(fixture)[0].input_ids);
    });
  }

  const tiny: [string, TinyModel][] = [
    ...(['qwen2', 'mistral', 'qwen3', 'llama3-biased'] as const).map((v, i): [string, TinyModel] => [v, tinyLlama(v, 11 + i)]),
    ['gpt2', tinyGpt2('transformer.', 21)], ['bert', tinyBert('', 31)],
  ];
  for (const [name, model] of tiny) {
    it(`a ${name} graph built from a checkpoint: staged equals uncut, recompute exact`, () =>
      checkBuilt(name, checkpointFolder(model.config, model.params), model.config, [3, 14, 15, 9, 26, 5, 35, 8, 9, 7]));
  }

  it('a cancelled run stops between stages', async () => {
    const model = await AttentionModel.load(path.join(MODELS_DIR, 'stories260k'), 'cpu');
    try {
      const controller = new AbortController();
      const seen: number[] = [];
      const run = model.runStages(model.encode(golden('stories260k')[0].text, 512), (layer) => {
        seen.push(layer);
        controller.abort();
      }, controller.signal);
      await assert.rejects(run, (err: unknown) => err instanceof EngineError && err.code === 'cancelled');
      assert.deepEqual(seen, [0]);
    } finally {
      await model.dispose();
    }
  });

  it('the pipeline hands on layer 0 before layer 1 is computed', async () => {
    const pipeline = new Pipeline();
    const controller = new AbortController();
    const seen: number[] = [];
    const inspection = pipeline.inspect({ model: path.join(MODELS_DIR, 'stories260k'), text: golden('stories260k')[0].text, provider: 'cpu' },
      { onLayer: (layer) => { seen.push(layer.layer); controller.abort(); } }, controller.signal);
    await assert.rejects(inspection, (err: unknown) => err instanceof EngineError && err.code === 'cancelled');
    assert.deepEqual(seen, [0]);
    await pipeline.dispose();
  });

  it('a graph with control flow runs whole, and the pipeline logs why; asked for float16, it rounds the same way', async () => {
    const dir = controlFlowFolder();
    const logs: string[] = [];
    const layers: LayerAttention[] = [];
    const halves: LayerAttention[] = [];
    const pipeline = new Pipeline();
    try {
      await pipeline.inspect({ model: dir, text: 'hello world', provider: 'cpu' },
        { onLog: (m) => logs.push(m), onLayer: (l) => layers.push(l) });
      await pipeline.inspect({ model: dir, text: 'hello world', provider: 'cpu' },
        { layerPrecision: () => 'float16', onLayer: (l) => halves.push(l) });
    } finally {
      await pipeline.dispose();
    }
    assert.deepEqual(layers.map((l) => l.layer), [0, 1]);
    assert.equal(logs.length, 1);
    assert.match(logs[0], /runs as one graph.*control flow \(If node/);
    assert.deepEqual(halves.map((l) => [l.layer, l.precision]), [[0, 'float16'], [1, 'float16']]);
    halves.forEach((l, i) => assert.deepEqual(new Uint16Array(l.data), encodeFloat16(new Float32Array(layers[i].data))));
  });
});

/**
 * A two-layer, one-head model over bert-tiny-random's tokenizer whose second layer reads the first
 * through an If: the cut cannot split the If's subgraphs, so the graph must run whole.
 */
function controlFlowFolder(): string {
  const dir = tempFolder();
  mkdirSync(path.join(dir, 'onnx'));
  for (const file of ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.txt']) {
    copyFileSync(path.join(MODELS_DIR, 'bert-tiny-random', file), path.join(dir, file));
  }
  const vocab = 30522;
  const width = 8;
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ model_type: 'bert', architectures: ['BertModel'],
    num_hidden_layers: 2, num_attention_heads: 1, hidden_size: width, vocab_size: vocab }));
  const layer = (l: number, x: string): onnx.INodeProto[] => [
    node('MatMul', [x, `wq${l}`], [`q${l}`]), node('MatMul', [x, `wk${l}`], [`k${l}`]),
    node('Transpose', [`k${l}`], [`kt${l}`], { perm: [0, 1, 3, 2] }), node('MatMul', [`q${l}`, `kt${l}`], [`s${l}`]),
    node('Softmax', [`s${l}`], [`p${l}`], { axis: -1 }), node('MatMul', [`p${l}`, x], [`o${l}`]), node('Add', [x, `o${l}`], [`h${l}`]),
  ];
  const branch = (name: string): onnx.IGraphProto => ({
    name, node: [node('Identity', ['h0'], [`${name}_out`])], output: [valueInfo(`${name}_out`, F32, [1, 1, 'T', width])],
  });
  const bytes = encode({
    inputs: [valueInfo('input_ids', I64, [1, 'T'])],
    outputs: [valueInfo('h1', F32, [1, 1, 'T', width])],
    initializers: [
      floats('embed', random(vocab * width, 1, 0.5), [vocab, width]),
      ...[0, 1].flatMap((l) => [floats(`wq${l}`, random(width * width, 2 + l), [width, width]), floats(`wk${l}`, random(width * width, 4 + l), [width, width])]),
      { name: 'cond', dataType: onnx.TensorProto.DataType.BOOL, dims: [], rawData: Uint8Array.of(1) },
      { name: 'axis', dataType: I64, dims: [1], rawData: new Uint8Array(BigInt64Array.of(1n).buffer) },
    ],
    nodes: [
      node('Gather', ['embed', 'input_ids'], ['e']), node('Unsqueeze', ['e', 'axis'], ['x']),
      ...layer(0, 'x'),
      { ...node('If', ['cond'], ['g']), attribute: [
        { name: 'then_branch', type: onnx.AttributeProto.AttributeType.GRAPH, g: branch('then') },
        { name: 'else_branch', type: onnx.AttributeProto.AttributeType.GRAPH, g: branch('else') },
      ] },
      ...layer(1, 'g'),
    ],
  });
  writeFileSync(path.join(dir, 'onnx', 'model.onnx'), bytes);
  return dir;
}
