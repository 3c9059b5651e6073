// The CLI as a person runs it: readable summary, report file, ranges, exit codes.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SafetensorsFile } from '../../src/engine/checkpoint/safetensors';
import { reportLayers, type Report } from '../../src/report/report';
import { CLI, MODELS_DIR } from './fixtures';

const TINY = path.join(MODELS_DIR, 'tinystories-656k');

function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('attention-lens CLI', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'attention-lens-cli-'));

  it('prints a readable summary: model, shape, tokens, strongest links', async () => {
    const { code, stdout } = await cli('inspect', '--model', TINY, '--text', 'Lily had a red ball. She gave the ball to Tom.', '--provider', 'cpu');
    assert.equal(code, 0);
    assert.match(stdout, /2 layers × 8 heads, causal/);
    assert.match(stdout, /Provider\s+cpu/);
    assert.match(stdout, /Tokens\s+\d+: <\|start_story\|>/);
    const links = stdout.split('\n').filter((l) => l.includes('→'));
    assert.equal(links.length, 8);
    const weights = links.map((l) => Number(/\s(\d\.\d{3})\s/.exec(l)![1]));
    assert.deepEqual([...weights].sort((a, b) => b - a), weights, 'links are sorted strongest first');
    for (const l of links) {
      const [q, k] = /tokens (\d+) → (\d+)/.exec(l)!.slice(1).map(Number);
      assert.ok(k < q, `causal model: a token only attends backwards (${l})`);
    }
  });

  it('--file with --range inspects exactly that span, and the report says so', async () => {
    const file = path.join(dir, 'story.txt');
    writeFileSync(file, 'Title line\r\nOnce upon a time, there was a cat.\r\nThe end.\r\n');
    const out = path.join(dir, 'range.json');
    const { code } = await cli('inspect', '--model', TINY, '--file', file, '--range', '2:6-2:17', '--out', out, '--quiet', '--provider', 'cpu');
    assert.equal(code, 0);
    const report = JSON.parse(readFileSync(out, 'utf8')) as Report;
    assert.equal(report.text, 'upon a time');
    const T = report.tokens.length;
    assert.equal(report.attention.length, 2);
    assert.equal(report.attention[0].length, 8);
    assert.equal(report.attention[0][0].length, T);
    for (const row of report.attention[1][3]) assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-5, 'rows are distributions');
  });

  it('--max-tokens truncates with a warning on stderr', async () => {
    const out = path.join(dir, 'cut.json');
    const { code, stderr } = await cli('inspect', '--model', TINY, '--text', 'Once upon a time there was a girl.', '--max-tokens', '5', '--out', out, '--quiet');
    assert.equal(code, 0);
    assert.match(stderr, /only the first 5/);
    assert.equal((JSON.parse(readFileSync(out, 'utf8')) as Report).tokens.length, 5);
  });

  it('--out report.json and --out attention.safetensors in one run hold the same attention; --out-precision float16 within 2^-12', async () => {
    const text = 'Lily had a red ball. She gave it to Tom.';
    const json = path.join(dir, 'both.json');
    const f32 = path.join(dir, 'both.safetensors');
    const f16 = path.join(dir, 'half.safetensors');
    const run = await cli('inspect', '--model', TINY, '--text', text, '--out', json, '--out', f32, '--provider', 'cpu');
    assert.equal(run.code, 0, run.stderr);
    assert.ok(run.stdout.includes(`Report written to ${json}`) && run.stdout.includes(`Report written to ${f32}`));
    const half = await cli('inspect', '--model', TINY, '--text', text, '--out', f16, '--out-precision', 'float16', '--quiet', '--provider', 'cpu');
    assert.equal(half.code, 0, half.stderr);

    const report = JSON.parse(readFileSync(json, 'utf8')) as Report;
    const fromJson = reportLayers(report);
    const T = report.tokens.length;
    for (const [file, dtype, tolerance] of [[f32, 'F32', 0], [f16, 'F16', 2 ** -12]] as const) {
      const st = await SafetensorsFile.open(file);
      try {
        assert.equal(st.entries.size, report.model.layers);
        assert.equal(st.metadata.format, 'attention-lens/v1');
        assert.equal(st.metadata.text, text);
        assert.deepEqual(JSON.parse(st.metadata.tokens), report.tokens);
        assert.deepEqual(JSON.parse(st.metadata.model), report.model);
        for (let l = 0; l < report.model.layers; l++) {
          const entry = st.entries.get(`attention.${l}`)!;
          assert.equal(entry.dtype, dtype);
          assert.deepEqual(entry.shape, [report.model.heads, T, T]);
          const values = await st.readFloat32(`attention.${l}`);
          const worst = values.reduce((w, v, k) => Math.max(w, Math.abs(v - fromJson[l][k])), 0);
          assert.ok(worst <= tolerance, `${dtype} layer ${l}: largest difference from the JSON report ${worst}`);
        }
      } finally {
        await st.close();
      }
    }
  });

  const bad: [string, string[], number, RegExp][] = [
    ['no command', [], 0, /Usage/],
    ['an unknown option', ['inspect', '--model', TINY, '--text', 'x', '--colour'], 2, /Unknown option/],
    ['both --text and --file', ['inspect', '--model', TINY, '--text', 'x', '--file', 'y'], 2, /exactly one/],
    ['a missing model folder', ['inspect', '--model', path.join(tmpdir(), 'nope-model'), '--text', 'x'], 1, /does not exist/],
    ['an unknown provider', ['inspect', '--model', TINY, '--text', 'x', '--provider', 'tpu'], 2, /--provider must be one of/],
    ['an unknown --out-precision', ['inspect', '--model', TINY, '--text', 'x', '--out', 'a.safetensors', '--out-precision', 'int4'], 2, /--out-precision must be one of/],
    ['--out-precision for a JSON report', ['inspect', '--model', TINY, '--text', 'x', '--out', 'a.json', '--out-precision', 'float16'], 2, /--out-precision needs an --out file ending in \.safetensors/],
    ['a malformed range', ['inspect', '--model', TINY, '--file', CLI, '--range', '1-2'], 1, /--range must look like/],
  ];
  for (const [what, args, code, message] of bad) {
    it(`${what}: exit ${code} with a one-line reason`, async () => {
      const result = await cli(...args);
      assert.equal(result.code, code);
      assert.match(code === 0 ? result.stdout : result.stderr, message);
      if (code !== 0) assert.ok(result.stderr.split('\n')[0].startsWith('attention-lens: '));
    });
  }
});
