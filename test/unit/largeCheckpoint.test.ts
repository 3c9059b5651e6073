// A safetensors checkpoint over 2 GB (protobuf's limit on one ONNX file) inspects through the CLI:
// the built graph points into the checkpoint instead of holding the weights. Generated into
// .cache/ on first run and reused; its twin with a 2048-token vocabulary shares every other
// weight, so the two must attend identically.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { syntheticLlamaFolder, weightBytes } from '../../scripts/syntheticCheckpoint';
import { reportLayers, type Report } from '../../src/report/report';
import { CLI, MODELS_DIR, ROOT } from './fixtures';

const run = promisify(execFile);
const config = (vocab: number) => ({
  architectures: ['LlamaModel'], model_type: 'llama', hidden_size: 512, num_attention_heads: 8, num_key_value_heads: 4,
  intermediate_size: 1024, num_hidden_layers: 1, vocab_size: vocab, rms_norm_eps: 1e-6, rope_theta: 10000, tie_word_embeddings: false,
});
const TEXT = 'Once upon a time, there was a little girl named Lily. She liked to play outside.';

describe('a checkpoint over 2 GB', () => {
  const cacheDir = mkdtempSync(path.join(tmpdir(), 'attention-lens-large-'));
  after(() => rmSync(cacheDir, { recursive: true, force: true }));

  it('inspects through the CLI with the graph pointing into the checkpoint, attending as its small twin', { timeout: 120_000 }, async () => {
    const tokenizer = path.join(MODELS_DIR, 'tinystories-656k');
    // 1.1 M tokens × 512 float32 = 2.25 GB in one embedding tensor; no LM head, so the graph ends at the hidden states.
    const large = syntheticLlamaFolder(path.join(ROOT, '.cache', 'synthetic', 'llama-2gb'), config(1_100_000), 'F32', tokenizer);
    const small = syntheticLlamaFolder(path.join(ROOT, '.cache', 'synthetic', 'llama-2gb-twin'), config(2048), 'F32', tokenizer);
    assert.ok(weightBytes(large) > 2 ** 31, `${weightBytes(large)} bytes`);

    const inspect = async (dir: string): Promise<Report> => {
      const out = path.join(cacheDir, `${path.basename(dir)}.json`);
      await run(process.execPath, [CLI, 'inspect', '--model', dir, '--text', TEXT, '--out', out, '--provider', 'cpu', '--quiet'],
        { maxBuffer: 1 << 24, env: { ...process.env, XDG_CACHE_HOME: cacheDir } });
      return JSON.parse(readFileSync(out, 'utf8')) as Report;
    };
    const big = await inspect(large);
    const twin = await inspect(small);
    assert.equal(big.model.layers, 1);
    assert.equal(big.model.heads, 8);
    assert.equal(big.model.precision, 'fp32');
    const [bigLayer] = reportLayers(big);
    const T = big.tokens.length;
    for (let r = 0; r < bigLayer.length / T; r++) {
      const sum = bigLayer.subarray(r * T, (r + 1) * T).reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(sum - 1) < 1e-3, `row ${r} sums to ${sum}`);
    }
    assert.deepEqual(bigLayer, reportLayers(twin)[0]);

    // The cache holds two small graphs and no copy of any weight.
    const graphsDir = path.join(cacheDir, 'attention-lens', 'graphs');
    const graphs = readdirSync(graphsDir);
    assert.equal(graphs.length, 2);
    for (const g of graphs) assert.ok(statSync(path.join(graphsDir, g)).size < 1 << 20, `${g} is small`);
  });
});
