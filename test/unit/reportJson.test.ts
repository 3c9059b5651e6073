// The exported report's JSON: written in pieces for large inspections, it must be byte for byte what
// one JSON.stringify of buildReport gives, and parse back to the same attention.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { buildReport, reportLayers, type Report, type ReportInput } from '../../src/report/report';
import { estimateReportBytes, reportJson, writeReportJson } from '../../src/report/json';

function input(T: number, layers: number, heads: number, extras = true): ReportInput {
  const tokens = Array.from({ length: T }, (_, i) => ({ id: i, text: i === 1 ? '"quoted" \\ ñ' : `t${i}`, start: i, end: i + 1, special: i === 0 }));
  let seed = 7;
  const data = Array.from({ length: layers }, () => Float32Array.from({ length: heads * T * T }, () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  }));
  if (T > 1) data[0][1] = NaN;
  return {
    model: { id: 'owner/model', layers, heads, causal: true, provider: 'cpu', precision: 'fp32' as const },
    text: 'x'.repeat(T),
    tokens,
    layers: data,
    ...(extras ? { warnings: ['a warning'], timings: { loadMs: 1, tokenizeMs: 0.5, runMs: 2, totalMs: 3 } } : {}),
  };
}

describe('report JSON for export', () => {
  for (const [T, layers, heads, extras] of [[6, 2, 3, true], [40, 3, 4, false], [1, 1, 1, true], [0, 2, 2, true]] as const) {
    it(`pieces equal JSON.stringify(buildReport) for T=${T}, ${layers}×${heads}${extras ? '' : ', no extras'}`, async () => {
      const i = input(T, layers, heads, extras);
      const whole = new TextDecoder().decode(await reportJson(i));
      const expected = JSON.stringify(buildReport(i.model, i.text, i.tokens, [...i.layers], extras ? { warnings: i.warnings, timings: i.timings } : {}));
      assert.equal(whole, expected);
      let fractions = 0;
      const pieces = new TextDecoder().decode(await reportJson(i, { limitBytes: 0, progress: () => fractions++ }));
      assert.equal(pieces, expected);
      assert.ok(fractions >= 1);
      const parsed = JSON.parse(pieces) as Report;
      assert.equal(parsed.format, 'attention-lens/v1');
      assert.deepEqual(parsed.tokens, i.tokens);
    });
  }

  it('round-trips the attention through reportLayers', async () => {
    const i = input(24, 2, 2);
    i.layers[0][1] = 0.5;
    const parsed = JSON.parse(new TextDecoder().decode(await reportJson(i, { limitBytes: 0 }))) as Report;
    assert.deepEqual(reportLayers(parsed), i.layers);
  });

  it('writes the same bytes to a file, leaving no partial file behind', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'attention-lens-json-'));
    const i = input(30, 2, 3);
    const file = path.join(dir, 'report.json');
    const bytes = await writeReportJson(file, i);
    const written = readFileSync(file);
    assert.equal(bytes, written.length);
    assert.deepEqual(new Uint8Array(written), await reportJson(i));
    assert.deepEqual(readdirSync(dir), ['report.json']);
  });

  it('estimates hundreds of megabytes for 12 layers × 12 heads × 512 tokens', () => {
    const big = { model: { id: 'm', layers: 12, heads: 12, causal: false, precision: 'fp32' as const }, text: '', tokens: [], layers: Array.from({ length: 12 }, () => ({ length: 12 * 512 * 512 }) as Float32Array) };
    assert.ok(estimateReportBytes(big) > 50 * 1024 * 1024);
  });
});
