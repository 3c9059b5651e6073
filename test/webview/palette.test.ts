// The head palette is colour-blind safe: at least 16 colours that stay distinct under simulated
// protanopia, deuteranopia and tritanopia, and that show on dark and light editors. No browser needed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HEAD_COLORS, headColor, heatLut, HEAT_STEPS } from '../../webview/palette';
import { contrastRatio, distance, seenAs, VISIONS, type Rgb } from './colorVision';
import { hexRgb } from './probes';

const colours = HEAD_COLORS.map(hexRgb);

test('at least 16 head colours, all different', () => {
  assert.ok(HEAD_COLORS.length >= 16, `${HEAD_COLORS.length} colours`);
  assert.equal(new Set(HEAD_COLORS.map((c) => c.toLowerCase())).size, HEAD_COLORS.length);
  assert.equal(headColor(HEAD_COLORS.length), headColor(0), 'colours repeat past the end instead of failing');
});

test('every pair stays apart for normal, protan, deutan and tritan vision', () => {
  for (const vision of VISIONS) {
    let closest = Infinity;
    let pair = '';
    for (let i = 0; i < colours.length; i++) {
      for (let j = 0; j < i; j++) {
        const d = distance(seenAs(colours[i], vision), seenAs(colours[j], vision));
        if (d < closest) [closest, pair] = [d, `${HEAD_COLORS[j]}/${HEAD_COLORS[i]}`];
      }
    }
    // 0.05 in OKLab is about two and a half just-noticeable differences.
    assert.ok(closest >= 0.05, `${vision}: ${pair} only ${closest.toFixed(3)} apart`);
  }
});

test('every colour shows on a dark and on a light editor background', () => {
  const dark: Rgb = [0x1e, 0x1e, 0x1e];
  const light: Rgb = [255, 255, 255];
  for (const [i, c] of colours.entries()) {
    assert.ok(contrastRatio(c, dark) >= 3, `${HEAD_COLORS[i]} on dark: ${contrastRatio(c, dark).toFixed(2)}`);
    assert.ok(contrastRatio(c, light) >= 2, `${HEAD_COLORS[i]} on light: ${contrastRatio(c, light).toFixed(2)}`);
  }
});

test('the heat ramp starts at the background and moves steadily away from it', () => {
  const background = { r: 31, g: 31, b: 31, a: 1 };
  const lut = heatLut(background, { r: 55, g: 148, b: 255, a: 1 }, { r: 204, g: 204, b: 204, a: 1 });
  assert.equal(lut.length, HEAT_STEPS);
  const rgb = (p: number): Rgb => [p & 255, (p >>> 8) & 255, (p >>> 16) & 255];
  assert.deepEqual(rgb(lut[0]), [31, 31, 31]);
  let previous = 1;
  for (let i = 64; i < HEAT_STEPS; i += 64) {
    const ratio = contrastRatio(rgb(lut[i]), [31, 31, 31]);
    assert.ok(ratio >= previous, `step ${i} is no closer to the background than the one before`);
    previous = ratio;
  }
  assert.ok(previous > 6, 'the hottest colour stands well clear of the background');
});
