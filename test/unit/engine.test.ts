// Fidelity of the whole engine against the fixtures' independent numpy references, through both
// ways users reach it: the CLI (in-process engine) and the engine client (the extension's path: a child process).
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { promisify } from 'node:util';
import { EngineClient } from '../../src/engine/client';
import { reportLayers, type Report } from '../../src/report/report';
import { CLI, FIXTURES, MODELS_DIR, ENGINE, golden, maxAttentionDiff, inspectWithLayers } from './fixtures';

const run = promisify(execFile);
const TOLERANCE = 1e-4;
const EXPECTED_SHAPE: Record<string, { layers: number; heads: number; causal: boolean }> = {
  'tinystories-656k': { layers: 2, heads: 8, causal: true },
  'stories260k': { layers: 5, heads: 8, causal: true },
  'bert-tiny-random': { layers: 2, heads: 4, causal: false },
};

describe('fidelity through the engine process', () => {
  const client = new EngineClient({ enginePath: ENGINE });
  after(() => client.dispose());

  for (const model of FIXTURES) {
    for (const prompt of golden(model)) {
      it(`${model} / ${prompt.id}: ids and attention within ${TOLERANCE}`, async () => {
        const streamed: number[] = [];
        const result = await inspectWithLayers(client, 
          { model: path.join(MODELS_DIR, model), text: prompt.text, provider: 'cpu' },
          { onLayer: (l) => streamed.push(l) });
        const T = prompt.input_ids.length;
        assert.deepEqual(result.started.tokens.map((t) => t.id), prompt.input_ids);
        assert.deepEqual({ layers: result.started.model.layers, heads: result.started.model.heads, causal: result.started.model.causal },
          EXPECTED_SHAPE[model]);
        assert.deepEqual(streamed, [...Array(EXPECTED_SHAPE[model].layers).keys()], 'one message per layer, in order');
        assert.equal(result.started.provider, 'cpu');
        const diff = maxAttentionDiff(prompt.attentions, result.layers, T);
        assert.ok(diff <= TOLERANCE, `max attention difference ${diff}`);
      });
    }
  }

  it('tinystories-656k with the KV-cache graph (empty past) matches the golden attention', async () => {
    const prompt = golden('tinystories-656k')[0];
    const result = await inspectWithLayers(client, {
      model: path.join(MODELS_DIR, 'tinystories-656k', 'onnx', 'model_with_past.onnx'), text: prompt.text, provider: 'cpu',
    });
    assert.deepEqual(result.started.tokens.map((t) => t.id), prompt.input_ids);
    const diff = maxAttentionDiff(prompt.attentions, result.layers, prompt.input_ids.length);
    assert.ok(diff <= TOLERANCE, `max attention difference ${diff}`);
  });
});

describe('checkpoints without an ONNX export', () => {
  const client = new EngineClient({ enginePath: ENGINE });
  after(() => client.dispose());

  for (const model of ['tinystories-656k', 'stories260k']) {
    it(`${model}: a folder with only model.safetensors builds a graph whose attention matches golden`, async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'attention-lens-safetensors-'));
      for (const file of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'model.safetensors']) {
        symlinkSync(path.join(MODELS_DIR, model, file), path.join(dir, file));
      }
      const cacheDir = mkdtempSync(path.join(tmpdir(), 'attention-lens-cache-'));
      for (const prompt of golden(model)) {
        const result = await inspectWithLayers(client, { model: dir, text: prompt.text, provider: 'cpu', cacheDir });
        assert.deepEqual(result.started.tokens.map((t) => t.id), prompt.input_ids);
        const diff = maxAttentionDiff(prompt.attentions, result.layers, prompt.input_ids.length);
        assert.ok(diff <= TOLERANCE, `${prompt.id}: max attention difference ${diff}`);
      }
      assert.equal(readdirSync(path.join(cacheDir, 'graphs')).filter((f) => f.endsWith('.onnx')).length, 1, 'the built graph is cached');
    });
  }
});

describe('fidelity through the CLI', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'attention-lens-cli-'));
  for (const model of FIXTURES) {
    for (const prompt of golden(model)) {
      it(`${model} / ${prompt.id}: report ids and attention within ${TOLERANCE}`, async () => {
        const out = path.join(dir, `${model}-${prompt.id}.json`);
        await run(process.execPath, [CLI, 'inspect', '--model', path.join(MODELS_DIR, model), '--text', prompt.text,
          '--provider', 'cpu', '--out', out, '--quiet']);
        const report = JSON.parse(readFileSync(out, 'utf8')) as Report;
        assert.equal(report.format, 'attention-lens/v1');
        assert.equal(report.text, prompt.text);
        assert.deepEqual(report.tokens.map((t) => t.id), prompt.input_ids);
        assert.equal(report.model.layers, EXPECTED_SHAPE[model].layers);
        assert.equal(report.model.heads, EXPECTED_SHAPE[model].heads);
        assert.equal(report.model.causal, EXPECTED_SHAPE[model].causal);
        const diff = maxAttentionDiff(prompt.attentions, reportLayers(report), prompt.input_ids.length);
        assert.ok(diff <= TOLERANCE, `max attention difference ${diff}`);
      });
    }
  }
});
