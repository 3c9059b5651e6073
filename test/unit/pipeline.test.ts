// The one pipeline (tokenize → run → deliver) on its own, and the two ways users reach it agreeing:
// the CLI (in-process) and the engine process say the same about the same text.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { promisify } from 'node:util';
import { EngineClient } from '../../src/engine/client';
import { EngineError } from '../../src/engine/errors';
import { Pipeline } from '../../src/engine/pipeline';
import { CHUNK_BYTES } from '../../src/engine/processPort';
import type { InspectionStarted } from '../../src/protocol';
import { CLI, ENGINE, MODELS_DIR, golden, maxAttentionDiff, inspectWithLayers } from './fixtures';

const TINY = path.join(MODELS_DIR, 'tinystories-656k');
const TEXT = 'Once upon a time there was a girl named Lily. She liked to play.';

describe('pipeline', () => {
  const pipeline = new Pipeline();
  after(() => pipeline.dispose());

  it('delivers progress while loading, then the tokens, then each layer in order, then the timings', async () => {
    const order: string[] = [];
    const prompt = golden('tinystories-656k')[0];
    const layers: Float32Array[] = [];
    const done = await pipeline.inspect({ model: TINY, text: prompt.text, provider: 'cpu' }, {
      onProgress: (stage) => order.push(`progress ${stage}`),
      onStarted: (s) => order.push(`started ${s.tokens.length}`),
      onLayer: (l) => {
        order.push(`layer ${l.layer}`);
        layers[l.layer] = new Float32Array(l.data);
      },
    });
    assert.deepEqual(order.filter((o) => !o.startsWith('progress')), [`started ${prompt.input_ids.length}`, 'layer 0', 'layer 1']);
    assert.ok(order.indexOf('progress reading') === 0, order.join(', '));
    assert.ok(maxAttentionDiff(prompt.attentions, layers, prompt.input_ids.length) < 1e-4);
    assert.ok(done.timings.totalMs >= done.timings.runMs && done.timings.loadMs > 0);
  });

  it('keeps the model loaded for the next inspection', async () => {
    const stages: string[] = [];
    const done = await pipeline.inspect({ model: TINY, text: TEXT, provider: 'cpu' }, { onProgress: (s) => stages.push(s) });
    assert.deepEqual(stages, []);
    assert.equal(done.timings.loadMs, 0);
  });

  it('an aborted signal abandons the inspection with code cancelled and delivers nothing', async () => {
    const controller = new AbortController();
    controller.abort();
    let delivered = 0;
    await assert.rejects(
      pipeline.inspect({ model: TINY, text: TEXT, provider: 'cpu' }, { onStarted: () => delivered++, onLayer: () => delivered++ }, controller.signal),
      (err: unknown) => err instanceof EngineError && err.code === 'cancelled');
    assert.equal(delivered, 0);
  });
});

describe('the CLI and the engine process run the same pipeline', () => {
  const client = new EngineClient({ enginePath: ENGINE });
  after(() => client.dispose());

  it('the same truncation warning, tokens and attention for the same text', async () => {
    const out = path.join(mkdtempSync(path.join(tmpdir(), 'attention-lens-pipeline-')), 'report.json');
    const { stderr } = await promisify(execFile)(process.execPath,
      [CLI, 'inspect', '--model', TINY, '--text', TEXT, '--max-tokens', '7', '--provider', 'cpu', '--out', out, '--quiet']);
    const report = JSON.parse(readFileSync(out, 'utf8')) as { tokens: { id: number }[]; attention: number[][][][] };
    const result = await inspectWithLayers(client, { model: TINY, text: TEXT, provider: 'cpu', maxTokens: 7 });
    const started: InspectionStarted = result.started;
    assert.equal(started.warnings.length, 1);
    assert.equal(stderr.trim(), `warning: ${started.warnings[0]}`);
    assert.deepEqual(report.tokens.map((t) => t.id), started.tokens.map((t) => t.id));
    assert.ok(maxAttentionDiff(report.attention, result.layers, 7) < 1e-6);
  });

  it('layers larger than the port\'s slices cross the process boundary bit for bit', async () => {
    const text = golden('stories260k')[0].text.repeat(40);
    const inProcess = new Pipeline();
    const local: Float32Array[] = [];
    try {
      await inProcess.inspect({ model: TINY, text, provider: 'cpu', maxTokens: 400 }, { onLayer: (l) => { local[l.layer] = new Float32Array(l.data); } });
    } finally {
      await inProcess.dispose();
    }
    const result = await inspectWithLayers(client, { model: TINY, text, provider: 'cpu', maxTokens: 400 });
    assert.equal(result.started.tokens.length, 400);
    assert.ok(result.layers[0].byteLength > 2 * CHUNK_BYTES, `a layer is ${result.layers[0].byteLength} bytes`);
    assert.equal(result.layers.length, local.length);
    result.layers.forEach((layer, l) => assert.ok(Buffer.from(layer.buffer).equals(Buffer.from(local[l].buffer)), `layer ${l} is identical`));
  });
});
