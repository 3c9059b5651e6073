// The export styles that change how weights are stored (external data, fp16, 8-bit, 4-bit), built
// from tinystories-656k's own export: each loads through the engine process, the CLI and a Hub download,
// its attention matches golden.json within the bound stated in the README, and rows sum to 1.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { EXPORT_STYLES } from '../../scripts/exportStyles/index';
import { EngineClient } from '../../src/engine/client';
import { reportLayers, type Report } from '../../src/report/report';
import { ensureHubModel } from '../../src/models/download';
import type { Precision, PrecisionChoice } from '../../src/protocol';
import { HubEmulator } from '../hub/server';
import { CLI, MODELS_DIR, ROOT, ENGINE, golden, maxAttentionDiff, inspectWithLayers } from './fixtures';

const run = promisify(execFile);
const STYLES_DIR = path.join(ROOT, '.cache', 'export-styles');
const FIXTURE = 'tinystories-656k';
// Largest attention difference from golden.json allowed per style: 1e-4 for float32 weights; for the
// others about 1.5× the largest difference measured over the fixture's prompts (README, "What models work").
const BOUNDS: Record<string, { precision: Precision; bound: number }> = {
  'external-data': { precision: 'fp32', bound: 1e-4 },
  'external-data-chunks': { precision: 'fp32', bound: 1e-4 },
  fp16: { precision: 'fp16', bound: 0.015 },
  q8: { precision: 'q8', bound: 0.3 },
  q4: { precision: 'q4', bound: 0.4 },
};
const report = (what: string, diff: number) => console.log(`  ${what}: max |Δ| ${diff.toExponential(2)}`);

/** Largest |row sum − 1| over every query row of every head and layer. */
function rowSumError(layers: Float32Array[], T: number): number {
  let worst = 0;
  for (const layer of layers) {
    for (let r = 0; r < layer.length / T; r++) {
      let sum = 0;
      for (let k = 0; k < T; k++) sum += layer[r * T + k];
      worst = Math.max(worst, Math.abs(sum - 1));
    }
  }
  return worst;
}

const styles = EXPORT_STYLES.filter((s) => s.name in BOUNDS);

before(async () => {
  for (const style of styles) await style.build(path.join(STYLES_DIR, style.name));
});

describe('precision and external-data styles through the engine process and the CLI', () => {
  const client = new EngineClient({ enginePath: ENGINE });
  after(() => client.dispose());

  for (const style of styles) {
    const { precision, bound } = BOUNDS[style.name];
    it(`${style.name}: every golden prompt within ${bound}, rows sum to 1, reported as ${precision}`, async () => {
      const dir = path.join(STYLES_DIR, style.name);
      let worst = 0;
      for (const [i, prompt] of golden(FIXTURE).entries()) {
        const stages: string[] = [];
        const result = await inspectWithLayers(client, { model: dir, text: prompt.text, provider: 'cpu' }, { onProgress: (stage) => stages.push(stage) });
        // The first inspection loads the model and says so; later ones reuse it silently.
        assert.deepEqual(stages, i === 0 ? ['reading', 'optimising'] : []);
        assert.equal(result.started.model.precision, precision);
        const T = prompt.input_ids.length;
        const diff = maxAttentionDiff(prompt.attentions, result.layers, T);
        assert.ok(diff <= bound, `${prompt.id}: ${diff}`);
        assert.ok(rowSumError(result.layers, T) <= 1e-3);
        worst = Math.max(worst, diff);
      }
      report(`${style.name} (engine)`, worst);

      const out = path.join(mkdtempSync(path.join(tmpdir(), 'attention-lens-style-')), 'report.json');
      const prompt = golden(FIXTURE)[0];
      await run(process.execPath, [CLI, 'inspect', '--model', path.join(dir, style.graph), '--text', prompt.text, '--out', out, '--provider', 'cpu', '--quiet']);
      const doc = JSON.parse(readFileSync(out, 'utf8')) as Report;
      assert.equal(doc.model.precision, precision);
      assert.ok(maxAttentionDiff(prompt.attentions, reportLayers(doc), prompt.input_ids.length) <= bound);
      rmSync(path.dirname(out), { recursive: true, force: true });
    });
  }
});

describe('a folder or Hub repo with every variant', () => {
  const variants = path.join(STYLES_DIR, 'variants');
  const client = new EngineClient({ enginePath: ENGINE });
  let hub: HubEmulator;
  const envToken = process.env.HF_TOKEN;

  before(async () => {
    // The layout of an onnx-community repo: the fp32 graph with chunked external data, fp16, 8- and
    // 4-bit variants, and the safetensors checkpoint too. A stray `_data_9` that the graph does not
    // name must not be fetched.
    rmSync(variants, { recursive: true, force: true });
    mkdirSync(path.join(variants, 'onnx'), { recursive: true });
    for (const name of ['external-data-chunks', 'fp16', 'q8', 'q4']) {
      const from = path.join(STYLES_DIR, name);
      for (const file of readdirSync(from)) if (file !== 'onnx') copyFileSync(path.join(from, file), path.join(variants, file));
      for (const file of readdirSync(path.join(from, 'onnx'))) copyFileSync(path.join(from, 'onnx', file), path.join(variants, 'onnx', file));
    }
    writeFileSync(path.join(variants, 'onnx', 'model.onnx_data_9'), 'not named by any graph');
    copyFileSync(path.join(MODELS_DIR, FIXTURE, 'model.safetensors'), path.join(variants, 'model.safetensors'));
    delete process.env.HF_TOKEN;
    hub = await HubEmulator.start({ repos: { 'styles/variants': { dir: variants } } });
  });
  after(async () => {
    client.dispose();
    await hub.stop();
    if (envToken !== undefined) process.env.HF_TOKEN = envToken;
  });

  const choices: [PrecisionChoice, Precision, string[]][] = [
    ['auto', 'fp32', ['onnx/model.onnx', 'onnx/model.onnx_data', 'onnx/model.onnx_data_1', 'onnx/model.onnx_data_2', 'onnx/model.onnx_data_3']],
    ['fp32', 'fp32', ['onnx/model.onnx', 'onnx/model.onnx_data', 'onnx/model.onnx_data_1', 'onnx/model.onnx_data_2', 'onnx/model.onnx_data_3']],
    ['fp16', 'fp16', ['onnx/model_fp16.onnx']],
    ['q8', 'q8', ['onnx/model_quantized.onnx']],
    ['q4', 'q4', ['onnx/model_q4.onnx']],
  ];
  for (const [choice, precision, weights] of choices) {
    it(`precision ${choice}: the folder loads ${precision}; the Hub download fetches only ${weights[0]} and its data, and loads from the cache`, async () => {
      const prompt = golden(FIXTURE)[2];
      const fromFolder = await inspectWithLayers(client, { model: variants, text: prompt.text, provider: 'cpu', precision: choice });
      assert.equal(fromFolder.started.model.precision, precision);

      const cacheDir = mkdtempSync(path.join(tmpdir(), 'attention-lens-variants-'));
      try {
        const folder = await ensureHubModel('styles/variants', { cacheDir, endpoint: hub.url, precision: choice });
        const files = readdirSync(folder, { recursive: true, encoding: 'utf8' }).filter((f) => !f.startsWith('.') && f !== 'onnx').sort();
        const small = ['config.json', 'generation_config.json', 'special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json'];
        assert.deepEqual(files, [...small, ...weights].sort());
        const fromCache = await inspectWithLayers(client, { model: folder, text: prompt.text, provider: 'cpu', precision: choice, cacheDir });
        assert.equal(fromCache.started.model.precision, precision);
        assert.deepEqual(fromCache.layers, fromFolder.layers);
        assert.ok(maxAttentionDiff(prompt.attentions, fromCache.layers, prompt.input_ids.length) <= BOUNDS[precision === 'fp32' ? 'external-data' : precision].bound);
      } finally {
        rmSync(cacheDir, { recursive: true, force: true });
      }
    });
  }

  it('a precision the folder lacks is refused by the CLI, naming what it has', async () => {
    const only = path.join(STYLES_DIR, 'q4');
    const result = await run(process.execPath, [CLI, 'inspect', '--model', only, '--text', 'Once upon a time', '--precision', 'fp16']).then(
      () => assert.fail('expected a failure'), (err: { code: number; stderr: string }) => err);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /no fp16 variant \(it has q4\)/);
  });
});
