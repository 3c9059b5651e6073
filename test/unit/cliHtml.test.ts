// `attention-lens inspect --html`: one self-contained page, nothing fetched, the report inside it.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeFloat16 } from '../../src/attention/quantize';
import { reportHtml } from '../../src/report/html';
import { HTML_MAX_ERROR, type EmbeddedReport } from '../../src/report/htmlFormat';
import type { Report } from '../../src/report/report';
import { CLI, MODELS_DIR } from './fixtures';

const TINY = path.join(MODELS_DIR, 'tinystories-656k');
const STORY =
  'Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her red ball and her dog, Max. ' +
  'One day, the sun was hot and Max was sad.';

function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { maxBuffer: 1 << 26 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

/** The page's inline blocks: the report JSON, the base64 layers, the script and the style. */
function parsePage(html: string) {
  const report = JSON.parse(/<script type="application\/json" id="attention-lens-report">(.*?)<\/script>/s.exec(html)![1]) as EmbeddedReport;
  const layers = [...html.matchAll(/<script type="application\/octet-stream" class="attention-lens-layer" data-layer="(\d+)">([A-Za-z0-9+/=]*)<\/script>/g)].map(
    (m) => Buffer.from(m[2], 'base64'),
  );
  const scripts = [...html.matchAll(/<script>(.*?)<\/script>/gs)].map((m) => m[1]);
  const styles = [...html.matchAll(/<style>(.*?)<\/style>/gs)].map((m) => m[1]);
  const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)![1];
  return { report, layers, scripts, styles, csp };
}

const hash = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

describe('attention-lens inspect --html', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'attention-lens-html-'));

  it('writes one self-contained page: inline script and style allowed by hash, no network references', async () => {
    const out = path.join(dir, 'story.json');
    const page = path.join(dir, 'story.html');
    const { code, stdout } = await cli('inspect', '--model', TINY, '--text', STORY, '--out', out, '--html', page, '--provider', 'cpu');
    assert.equal(code, 0);
    assert.match(stdout, /Page written to .*story\.html \(attention as float32\)/);
    const html = readFileSync(page, 'utf8');
    const full = JSON.parse(readFileSync(out, 'utf8')) as Report;

    // Nothing in the markup points anywhere: no external scripts, stylesheets, images or frames.
    // (The bundle's own strings may mention URLs, e.g. the SVG namespace; the markup around it may not.)
    const markup = html.replace(/(<script\b[^>]*>).*?(<\/script>)/gs, '$1$2');
    assert.ok(markup.length < 20_000, 'the markup alone is small');
    assert.doesNotMatch(markup, /<(script|img|iframe|link|source|video|audio|embed|object|frame)\b[^>]*\s(src|href|data|srcset)\s*=/i);
    assert.doesNotMatch(markup, /<link\b|<base\b/i);
    assert.doesNotMatch(markup, /https?:\/\//i);
    assert.ok(!/<script[^>]*\ssrc\s*=\s*["']?https?:/i.test(html), 'no remote script anywhere, bundle included');
    const { report, layers, scripts, styles, csp } = parsePage(html);
    assert.equal(scripts.length, 1, 'one executable script, the views bundle');
    assert.equal(styles.length, 1);
    for (const css of styles) assert.doesNotMatch(css, /url\(|@import/i, 'the theme loads nothing');
    assert.match(csp, /^default-src 'none';/);
    assert.ok(csp.includes(`script-src ${hash(scripts[0])}`), 'the script is allowed by its hash, nothing else is');
    assert.ok(csp.includes(`style-src ${hash(styles[0])}`));
    assert.doesNotMatch(csp, /unsafe|https?:|\*/);

    // The report is embedded: tokens, text, model, and every attention value as float32.
    assert.deepEqual(report.tokens, full.tokens);
    assert.equal(report.text, STORY);
    assert.equal(report.model.layers, 2);
    assert.equal(report.model.heads, 8);
    assert.ok(full.tokens.length >= 28 && full.tokens.length <= 40, `about 30 tokens (${full.tokens.length})`);
    for (const token of full.tokens.slice(1, 6)) assert.ok(html.includes(JSON.stringify(token.text).slice(1, -1)), `token ${token.text} is in the page`);
    assert.deepEqual(report.attention, { precision: 'float32', layout: 'causal', maxError: 0 });
    const T = full.tokens.length;
    assert.equal(layers.length, 2);
    layers.forEach((bytes, l) => {
      const values = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
      assert.equal(values.length, (8 * T * (T + 1)) / 2, 'causal: only the lower triangle is stored');
      let at = 0;
      for (let h = 0; h < 8; h++) for (let q = 0; q < T; q++) for (let k = 0; k <= q; k++) {
        assert.equal(values[at++], Math.fround(full.attention[l][h][q][k]));
      }
    });
    // No nested arrays: the page is the bundle plus a few base64 kilobytes, far smaller than the JSON.
    const size = statSync(page).size;
    assert.ok(size < 400_000, `page is ${size} bytes`);
    assert.ok(size - scripts[0].length < 80_000, `data and markup are ${size - scripts[0].length} bytes`);
  });

  it('a 512-token input is stored as float16 within its error bound and stays a few megabytes', async () => {
    const page = path.join(dir, 'long.html');
    const text = Array.from({ length: 40 }, () => STORY).join(' ');
    const { code, stdout } = await cli('inspect', '--model', TINY, '--text', text, '--html', page, '--provider', 'cpu', '--quiet');
    assert.equal(code, 0);
    assert.equal(stdout, '');
    const html = readFileSync(page, 'utf8');
    const { report, layers } = parsePage(html);
    assert.equal(report.tokens.length, 512);
    assert.equal(report.warnings.length, 1, 'the window note travels with the page');
    assert.match(html, /<p class="al-page-warning">The text has \d+ tokens, more than the model reads at once \(512\): this is window 1 of/);
    assert.equal(report.attention.precision, 'float16');
    assert.equal(report.attention.maxError, 2 ** -12);
    assert.equal(layers[0].byteLength, 2 * (8 * 512 * 513) / 2);
    const size = statSync(page).size;
    assert.ok(size < 6_500_000, `page is ${(size / 1e6).toFixed(1)} MB`);
  });

  it('float16 and uint8 round trips stay within the stated bound; non-causal attention is stored whole', () => {
    const T = 5;
    const heads = 2;
    const layer = new Float32Array(heads * T * T);
    for (let i = 0; i < layer.length; i++) layer[i] = ((i * 7919) % 1000) / 999;
    const model = { id: 'synthetic', layers: 1, heads, causal: false, precision: 'fp32' as const };
    const tokens = Array.from({ length: T }, (_, i) => ({ id: i, text: `t${i}`, start: i, end: i + 1, special: false }));
    for (const precision of ['float16', 'uint8'] as const) {
      const page = reportHtml({ model, text: 'abcde', tokens, layers: [layer] }, 'void 0;', precision);
      assert.equal(page.layout, 'full');
      assert.equal(page.maxError, HTML_MAX_ERROR[precision]);
      const bytes = parsePage(page.html).layers[0];
      const copy = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
      const values = precision === 'float16' ? decodeFloat16(new Uint16Array(copy)) : Float32Array.from(new Uint8Array(copy), (b) => b / 255);
      assert.equal(values.length, layer.length);
      values.forEach((v, i) => assert.ok(Math.abs(v - layer[i]) <= page.maxError, `${precision} value ${i}: ${v} vs ${layer[i]}`));
    }
  });

  it('--html-precision is checked like the other flags', async () => {
    const { code, stderr } = await cli('inspect', '--model', TINY, '--text', 'hi', '--html', path.join(dir, 'x.html'), '--html-precision', 'int4');
    assert.equal(code, 2);
    assert.match(stderr, /--html-precision must be one of float32, float16, uint8/);
  });
});
