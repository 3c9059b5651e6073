// The corpus of fused-attention export styles, generated here from the fixtures' own weights: each
// graph really uses the fused kernel; rewritten, it computes the same outputs as the fused original
// (logits or hidden states, and presents); its attention equals the fixture's golden.json; and it
// inspects through the engine process and through the CLI.
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { onnx } from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { EXPORT_STYLES } from '../../scripts/exportStyles';
import { EngineClient } from '../../src/engine/client';
import { buildFeeds } from '../../src/engine/feeds';
import { resolveModelFolder } from '../../src/engine/modelFolder';
import { unfuseAttention } from '../../src/engine/exports';
import { exposeAttention, parseModel } from '../../src/engine/surgery';
import type { Report } from '../../src/report/report';
import { CLI, golden, maxAttentionDiff, ROOT, ENGINE, inspectWithLayers } from './fixtures';
import { maxDiff } from './fusedGraphs';

const OUT = path.join(ROOT, '.cache', 'export-styles-test');
const TOL = 1e-4;

// What each style must contain, so a style that silently fell back to plain ops fails.
const FUSED_OP: Record<string, string> = {
  gqa: 'com.microsoft.GroupQueryAttention',
  'attention-o2': 'com.microsoft.Attention',
  mha: 'com.microsoft.MultiHeadAttention',
  attention23: 'ai.onnx.Attention',
  'attention23-llama': 'ai.onnx.Attention',
};

function graphPath(dir: string): string {
  return resolveModelFolder(dir).onnxPath!;
}

function decodeGraph(dir: string): onnx.ModelProto {
  return onnx.ModelProto.decode(readFileSync(graphPath(dir)));
}

function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('export styles with fused attention', () => {
  before(async () => {
    for (const style of EXPORT_STYLES) await style.build(path.join(OUT, style.name));
  });
  const client = new EngineClient({ enginePath: ENGINE });
  after(() => client.dispose());

  it('every fused style is in the registry', () => {
    assert.deepEqual(Object.keys(FUSED_OP).filter((n) => !EXPORT_STYLES.some((s) => s.name === n)), []);
  });

  for (const style of EXPORT_STYLES.filter((s) => s.name in FUSED_OP)) {
    const dir = path.join(OUT, style.name);
    const layers = () => (JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8')) as { num_hidden_layers: number }).num_hidden_layers;

    describe(style.name, () => {
      it(`uses ${FUSED_OP[style.name]} once per layer and no Softmax`, () => {
        const nodes = decodeGraph(dir).graph!.node!;
        const ops = nodes.map((n) => `${n.domain || 'ai.onnx'}.${n.opType}`);
        assert.equal(ops.filter((o) => o === FUSED_OP[style.name]).length, layers());
        assert.equal(ops.filter((o) => o.endsWith('.Softmax')).length, 0);
      });

      it('rewritten, its own outputs equal the fused original (and its attention equals golden.json)', async (t) => {
        const bytes = readFileSync(graphPath(dir));
        const exposed = exposeAttention(bytes);
        assert.equal(exposed.attentionOutputs.length, layers());
        const options = { extra: { session: { model_external_initializers_file_folder_path: path.dirname(graphPath(dir)) } } } as ort.InferenceSession.SessionOptions;
        const fused = await ort.InferenceSession.create(bytes, options);
        const rewritten = await ort.InferenceSession.create(exposed.bytes, options);
        const config = resolveModelFolder(dir).config;
        let outputDiff = 0;
        let attentionDiff = 0;
        for (const prompt of golden(style.fixture)) {
          const T = prompt.input_ids.length;
          const feeds = buildFeeds(exposed.inputs, prompt.input_ids, new Array<number>(T).fill(0), config);
          const theirs = await fused.run(feeds);
          const mine = await rewritten.run(feeds);
          for (const name of fused.outputNames) outputDiff = Math.max(outputDiff, maxDiff(theirs[name], mine[name]));
          attentionDiff = Math.max(attentionDiff, maxAttentionDiff(prompt.attentions, exposed.attentionOutputs.map((n) => mine[n].data as Float32Array), T));
        }
        await fused.release();
        await rewritten.release();
        t.diagnostic(`${style.name}: outputs vs fused ${outputDiff.toExponential(2)}, attention vs golden ${attentionDiff.toExponential(2)}`);
        assert.ok(outputDiff < TOL, `outputs (${fused.outputNames.join(', ')}) differ from the fused graph by ${outputDiff}`);
        assert.ok(attentionDiff < TOL, `attention differs from golden.json by ${attentionDiff}`);
      });

      it('inspects through the engine process: token ids and attention equal golden.json', async () => {
        for (const prompt of golden(style.fixture)) {
          const result = await inspectWithLayers(client, { model: dir, text: prompt.text, provider: 'cpu' });
          assert.deepEqual(result.started.tokens.map((tk) => tk.id), prompt.input_ids);
          const d = maxAttentionDiff(prompt.attentions, result.layers, prompt.input_ids.length);
          assert.ok(d < TOL, `${prompt.id}: attention differs from golden.json by ${d}`);
        }
      });

      it('inspects through the CLI', async () => {
        const prompt = golden(style.fixture)[0];
        const out = path.join(mkdtempSync(path.join(tmpdir(), 'attention-lens-style-')), 'report.json');
        const { code, stderr } = await cli('inspect', '--model', dir, '--text', prompt.text, '--out', out, '--quiet', '--provider', 'cpu');
        assert.equal(code, 0, stderr);
        const report = JSON.parse(readFileSync(out, 'utf8')) as Report;
        assert.deepEqual(report.tokens.map((tk) => tk.id), prompt.input_ids);
        const T = report.tokens.length;
        const d = maxAttentionDiff(prompt.attentions, report.attention.map((layer) => Float32Array.from(layer.flat(2))), T);
        assert.ok(d < TOL, `attention in the report differs from golden.json by ${d}`);
      });
    });
  }

  it('gqa keeps its weights in model.onnx.data, and the rewrite never needs them', () => {
    const dir = path.join(OUT, 'gqa');
    assert.ok(existsSync(path.join(dir, 'genai_config.json')));
    const external = decodeGraph(dir).graph!.initializer!.filter((i) => i.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL);
    assert.ok(external.length > 10, 'weights are external');
    // The graph alone, without its data file: the rewrite and surgery still succeed and keep the references.
    const alone = mkdtempSync(path.join(tmpdir(), 'attention-lens-graph-only-'));
    copyFileSync(graphPath(dir), path.join(alone, 'model.onnx'));
    const graphOnly = readFileSync(path.join(alone, 'model.onnx'));
    assert.equal(exposeAttention(graphOnly).attentionOutputs.length, 2);
    const kept = unfuseAttention(parseModel(graphOnly)).graph!.initializer!.filter((i) => i.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL);
    assert.deepEqual(kept.map((i) => JSON.stringify(i.externalData)), external.map((i) => JSON.stringify(i.externalData)));
  });
});


describe('export styles with a KV cache: a second step on the first step\'s presents', () => {
  before(async () => {
    for (const name of ['gqa', 'attention23-llama']) await EXPORT_STYLES.find((s) => s.name === name)!.build(path.join(OUT, name));
  });

  for (const name of ['gqa', 'attention23-llama']) {
    it(`${name}: logits and presents equal the fused graph's when the past is not empty`, async (t) => {
      const dir = path.join(OUT, name);
      const bytes = readFileSync(graphPath(dir));
      const exposed = exposeAttention(bytes);
      const options = { extra: { session: { model_external_initializers_file_folder_path: path.dirname(graphPath(dir)) } } } as ort.InferenceSession.SessionOptions;
      const fused = await ort.InferenceSession.create(bytes, options);
      const rewritten = await ort.InferenceSession.create(exposed.bytes, options);
      const config = resolveModelFolder(dir).config;
      const ids = golden('tinystories-656k')[0].input_ids;
      const first = ids.slice(0, 7);
      const step1 = await fused.run(buildFeeds(exposed.inputs, first, [], config));
      const rest = ids.slice(7);
      const int64 = (values: number[]) => new ort.Tensor('int64', BigInt64Array.from(values, BigInt), [1, values.length]);
      const feeds: Record<string, ort.Tensor> = { input_ids: int64(rest), attention_mask: int64(ids.map(() => 1)) };
      if (exposed.inputs.some((i) => i.name === 'position_ids')) feeds.position_ids = int64(rest.map((_, i) => first.length + i));
      for (const input of exposed.inputs.filter((i) => i.name.startsWith('past_key_values.'))) {
        feeds[input.name] = step1[input.name.replace('past_key_values.', 'present.')];
      }
      const theirs = await fused.run(feeds);
      const mine = await rewritten.run(feeds);
      let worst = 0;
      for (const out of fused.outputNames) worst = Math.max(worst, maxDiff(theirs[out], mine[out]));
      assert.deepEqual([...mine['present.0.key'].dims], [1, 4, ids.length, 16], 'presents hold past and new keys');
      const probs = mine[exposed.attentionOutputs[0]];
      assert.deepEqual([...probs.dims], [1, 8, rest.length, ids.length]);
      t.diagnostic(`${name} with past: outputs vs fused ${worst.toExponential(2)}`);
      assert.ok(worst < TOL, `logits and presents differ by ${worst}`);
      // The new queries' attention equals golden.json's rows for the same positions of the whole prompt.
      const expected = golden('tinystories-656k')[0].attentions;
      const data = probs.data as Float32Array;
      let d = 0;
      expected[0].forEach((head, h) => rest.forEach((_, s) => head[first.length + s].forEach((v, k) => {
        d = Math.max(d, Math.abs(v - data[(h * rest.length + s) * ids.length + k]));
      })));
      assert.ok(d < TOL, `attention rows after a past differ from golden.json by ${d}`);
      await fused.release();
      await rewritten.release();
    });
  }
});
