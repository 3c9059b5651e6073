// A report the size a user of a BERT-base model gets (12 layers × 12 heads × 512 tokens: 37.7 M
// weights, most of a gigabyte of JSON) writes through the CLI, as JSON and as safetensors, and the
// JSON parses back, with a streaming parser, to the very float32 values the safetensors file holds.
// The model is scripts/synthetic-bert.ts's, generated into .cache/bench once and shared with the bench.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { finished } from 'node:stream/promises';
import { promisify } from 'node:util';
import parser from 'stream-json/parser.js';
import { ensureSyntheticBert, SYNTHETIC_BERT } from '../../scripts/synthetic-bert';
import { SafetensorsFile } from '../../src/engine/checkpoint/safetensors';
import { CLI, ROOT } from './fixtures';

const run = promisify(execFile);
const T = 512;
const TEXT = 'The quick brown fox jumps over the lazy dog, and then it runs into the forest to find a house. '.repeat(60);

interface JsonToken { name: string; value?: string }

/** Streams the report's JSON, checking each attention weight against `layers`; returns the parts other than attention. */
async function checkJson(file: string, layers: Float32Array[]): Promise<{ format?: string; tokens: number; counts: number[] }> {
  const stream = createReadStream(file).pipe(parser.asStream({ packValues: true, streamValues: false }));
  let depth = 0;
  let key = '';
  let format: string | undefined;
  let tokens = 0;
  // Inside "attention": the index at each nesting level [layer, head, query, key], and how many of each were seen.
  const index = [-1, -1, -1, -1];
  const counts = [0, 0, 0, 0];
  let mismatches = 0;
  stream.on('data', (token: JsonToken) => {
    switch (token.name) {
      case 'startObject':
      case 'startArray':
        depth++;
        if (key === 'attention' && depth >= 3) {
          const level = depth - 3;
          index[level]++;
          counts[level]++;
          if (level < 3) index[level + 1] = -1;
        }
        if (key === 'tokens' && depth === 3) tokens++;
        if (key === 'attention' && depth === 2) index[0] = -1;
        break;
      case 'endObject':
      case 'endArray':
        depth--;
        break;
      case 'keyValue':
        if (depth === 1) key = token.value!;
        break;
      case 'stringValue':
        if (depth === 1 && key === 'format') format = token.value;
        break;
      case 'numberValue':
        if (key === 'attention' && depth === 5) {
          index[3]++;
          counts[3]++;
          const [l, h, q, k] = index;
          if (Math.fround(Number(token.value)) !== layers[l][(h * T + q) * T + k]) mismatches++;
        }
        break;
    }
  });
  await finished(stream);
  assert.equal(mismatches, 0, 'every JSON weight reads back as the float32 the safetensors report holds');
  return { format, tokens, counts };
}

describe('a BERT-base sized report at 512 tokens', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'attention-lens-large-report-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('writes as JSON and safetensors through the CLI, and the JSON parses back to the same float32 weights', { timeout: 30 * 60_000 }, async () => {
    const model = ensureSyntheticBert(path.join(ROOT, '.cache', 'bench'));
    const json = path.join(dir, 'report.json');
    const safetensors = path.join(dir, 'attention.safetensors');
    const { stderr } = await run(process.execPath, [CLI, 'inspect', '--model', model, '--text', TEXT, '--out', json, '--out', safetensors, '--provider', 'cpu', '--quiet'],
      { maxBuffer: 1 << 24 });
    assert.match(stderr, /this is window 1 of \d+/, 'a longer text is inspected in windows of the context');

    const st = await SafetensorsFile.open(safetensors);
    const layers: Float32Array[] = [];
    try {
      assert.equal(JSON.parse(st.metadata.tokens).length, T);
      for (let l = 0; l < SYNTHETIC_BERT.layers; l++) {
        assert.deepEqual(st.entries.get(`attention.${l}`)?.shape, [SYNTHETIC_BERT.heads, T, T]);
        layers.push(await st.readFloat32(`attention.${l}`));
      }
    } finally {
      await st.close();
    }
    // Rows are softmax distributions: the weights are real attention, not zeros.
    const row = layers[SYNTHETIC_BERT.layers - 1].subarray(0, T);
    assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-4);

    const { format, tokens, counts } = await checkJson(json, layers);
    assert.equal(format, 'attention-lens/v1');
    assert.equal(tokens, T);
    const { layers: L, heads: H } = SYNTHETIC_BERT;
    assert.deepEqual(counts, [L, L * H, L * H * T, L * H * T * T]);
  });
});
