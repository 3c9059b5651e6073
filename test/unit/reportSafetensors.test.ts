// The safetensors report: read back with the engine's own checkpoint reader (which checks every
// tensor against the file size), it must hold each layer as [heads, T, T] in the dtype asked for,
// packed back to back after an 8-aligned header, and the rest of the report as string metadata.
import assert from 'node:assert/strict';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { SafetensorsFile } from '../../src/engine/checkpoint/safetensors';
import type { ReportInput } from '../../src/report/report';
import { safetensorsHeader, writeReportSafetensors } from '../../src/report/safetensors';

function input(T: number, layers: number, heads: number): ReportInput {
  const tokens = Array.from({ length: T }, (_, i) => ({ id: i, text: i === 1 ? 'ñ "x" \u{1F600}' : `t${i}`, start: i, end: i + 1, special: i === 0 }));
  let seed = 11;
  const data = Array.from({ length: layers }, () => Float32Array.from({ length: heads * T * T }, () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  }));
  return {
    model: { id: 'owner/model', layers, heads, causal: false, provider: 'cpu', precision: 'fp32' as const },
    text: 'Él dijo "hola"\r\n\u{1F600}',
    tokens,
    layers: data,
    warnings: ['a warning'],
    timings: { loadMs: 1, tokenizeMs: 0.5, runMs: 2, totalMs: 3 },
  };
}

describe('safetensors report', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'attention-lens-st-'));

  for (const precision of ['float32', 'float16'] as const) {
    it(`${precision}: one [heads, T, T] tensor per layer and the report's facts as metadata`, async () => {
      const i = input(9, 3, 4);
      const file = path.join(dir, `report-${precision}.safetensors`);
      const written = await writeReportSafetensors(file, i, precision);
      assert.equal(written, statSync(file).size);
      const st = await SafetensorsFile.open(file);
      try {
        assert.deepEqual([...st.entries.keys()].sort(), ['attention.0', 'attention.1', 'attention.2']);
        let end = 0;
        for (let l = 0; l < 3; l++) {
          const entry = st.entries.get(`attention.${l}`)!;
          assert.equal(entry.dtype, precision === 'float32' ? 'F32' : 'F16');
          assert.deepEqual(entry.shape, [4, 9, 9]);
          assert.equal(entry.begin, end, 'tensors lie back to back, in layer order');
          end = entry.end;
          const values = await st.readFloat32(`attention.${l}`);
          const tolerance = precision === 'float32' ? 0 : 2 ** -12;
          const worst = values.reduce((w, v, k) => Math.max(w, Math.abs(v - i.layers[l][k])), 0);
          assert.ok(worst <= tolerance, `layer ${l}: largest error ${worst}`);
        }
        const headerLength = safetensorsHeader(i, precision).length - 8;
        assert.equal(headerLength % 8, 0, 'the data section starts 8-aligned');
        assert.equal(8 + headerLength + end, statSync(file).size, 'no bytes after the last tensor');
        const meta = st.metadata;
        assert.ok(Object.values(meta).every((v) => typeof v === 'string'), 'metadata values are strings');
        assert.equal(meta.format, 'attention-lens/v1');
        assert.equal(meta.text, i.text);
        assert.deepEqual(JSON.parse(meta.model), i.model);
        assert.deepEqual(JSON.parse(meta.tokens), i.tokens);
        assert.deepEqual(JSON.parse(meta.warnings), i.warnings);
        assert.deepEqual(JSON.parse(meta.timings), i.timings);
      } finally {
        await st.close();
      }
    });
  }
});
