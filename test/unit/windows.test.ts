// The window planner: overlapping windows over a text longer than the context, each wrapped in the
// specials the tokenizer adds, every token keeping its offsets in the whole text.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { TextTokenizer } from '../../src/engine/tokenizer';
import { insertedCounts, OVERLAP_SHARE, planWindows, windowInput, type TokenizedText } from '../../src/engine/windows';
import type { TextWindow, Token } from '../../src/protocol';
import { FIXTURES, MODELS_DIR } from './fixtures';

/** `n` one-character words "a b c …" as tokens, wrapped in `before` and `after` zero-width specials. */
function words(n: number, before = 1, after = 1): { text: string; tokenized: TokenizedText } {
  const text = Array.from({ length: n }, (_, i) => String.fromCharCode(97 + (i % 26))).join(' ');
  const special = (at: number, id: number): Token => ({ id, text: `<${id}>`, start: at, end: at, special: true });
  const body = Array.from({ length: n }, (_, i): Token => ({ id: 10 + i, text: text[2 * i], start: 2 * i, end: 2 * i + 1, special: false }));
  const tokens = [...Array.from({ length: before }, () => special(0, 1)), ...body, ...Array.from({ length: after }, () => special(text.length, 2))];
  return { text, tokenized: { tokens, typeIds: tokens.map(() => 0) } };
}

/**
 * Asserts what every plan must satisfy: order, coverage, size, the last window's shape. `slack`: how
 * many tokens short of full the last window may be, to start on a whole character (byte tokens).
 */
function checkPlan(windows: TextWindow[], n: number, size: number, slack = 0): void {
  assert.ok(windows.length >= 1);
  const covered = new Uint8Array(n);
  windows.forEach((w, i) => {
    assert.equal(w.index, i);
    assert.equal(w.count, windows.length);
    assert.equal(w.textTokens, n);
    assert.ok(w.firstToken < w.endToken && w.endToken - w.firstToken <= size, `window ${i} holds ${w.endToken - w.firstToken} > ${size}`);
    covered.fill(1, w.firstToken, w.endToken);
    if (i === 0) assert.equal(w.firstToken, 0);
    if (i > 0) {
      const prev = windows[i - 1];
      assert.ok(w.firstToken > prev.firstToken && w.firstToken <= prev.endToken, `window ${i} leaves a gap or goes back`);
    }
  });
  assert.ok(covered.every((c) => c === 1), 'every token is in some window');
  const last = windows[windows.length - 1];
  assert.equal(last.endToken, n);
  const length = last.endToken - last.firstToken;
  assert.ok(length <= Math.min(n, size) && length >= Math.min(n, size) - slack, `the last window holds ${length}, not a full ${size}`);
}

describe('window planner', () => {
  it('a text that fits is one window of all of it', () => {
    const { tokenized } = words(10);
    const windows = planWindows(tokenized, { before: 1, after: 1 }, 12);
    assert.equal(windows.length, 1);
    assert.deepEqual(windows[0], { index: 0, count: 1, firstToken: 0, endToken: 10, textTokens: 10, start: 0, end: 19 });
    assert.deepEqual(windowInput(tokenized, { before: 1, after: 1 }, windows[0]), tokenized);
  });

  it('windows cover every token, overlap by a quarter, and the last one ends at the text\'s end', () => {
    for (const n of [11, 50, 97, 500, 1234]) {
      for (const context of [6, 12, 64, 130]) {
        const { tokenized } = words(n);
        const size = context - 2;
        const windows = planWindows(tokenized, { before: 1, after: 1 }, context);
        checkPlan(windows, n, size);
        const overlap = Math.floor(size * OVERLAP_SHARE);
        for (let i = 1; i < windows.length; i++) {
          assert.ok(windows[i - 1].endToken - windows[i].firstToken >= overlap, `n ${n} context ${context}: windows ${i - 1} and ${i} overlap by less than ${overlap}`);
        }
        // All but the last step forward by the size less the overlap.
        for (let i = 1; i < windows.length - 1; i++) assert.equal(windows[i].firstToken, i * (size - overlap));
      }
    }
  });

  it('512-token windows of 1200 text tokens: 384 apart, the last reaching back', () => {
    const { tokenized } = words(1200, 1, 0);
    const windows = planWindows(tokenized, { before: 1, after: 0 }, 512);
    assert.deepEqual(windows.map((w) => [w.firstToken, w.endToken]), [[0, 511], [384, 895], [689, 1200]]);
  });

  it('each window is wrapped in the specials, zero-width at its ends, with its type ids', () => {
    const { text, tokenized } = words(40, 1, 1);
    const inserted = { before: 1, after: 1 };
    const windows = planWindows(tokenized, inserted, 16);
    for (const w of windows) {
      const input = windowInput(tokenized, inserted, w);
      assert.equal(input.tokens.length, w.endToken - w.firstToken + 2);
      assert.equal(input.typeIds.length, input.tokens.length);
      const [first, last] = [input.tokens[0], input.tokens[input.tokens.length - 1]];
      assert.deepEqual([first.id, first.special, first.start, first.end], [1, true, w.start, w.start]);
      assert.deepEqual([last.id, last.special, last.start, last.end], [2, true, w.end, w.end]);
      // The text tokens are those of the whole text, with the same offsets.
      assert.deepEqual(input.tokens.slice(1, -1), tokenized.tokens.slice(1 + w.firstToken, 1 + w.endToken));
      assert.equal(text.slice(w.start, w.end), input.tokens.slice(1, -1).map((t) => t.text).join(' '));
    }
  });

  it('never splits a character that several byte tokens share', () => {
    // Every third character is spelt by four byte tokens over the same two UTF-16 units.
    const tokens: Token[] = [];
    let at = 0;
    for (let i = 0; i < 200; i++) {
      const pieces = i % 3 === 0 ? 4 : 1;
      const width = pieces === 4 ? 2 : 1;
      for (let p = 0; p < pieces; p++) tokens.push({ id: i, text: 'x', start: at, end: at + width, special: false });
      at += width;
    }
    const tokenized = { tokens, typeIds: tokens.map(() => 0) };
    for (const context of [8, 13, 40]) {
      const windows = planWindows(tokenized, { before: 0, after: 0 }, context);
      checkPlan(windows, tokens.length, context, 3);
      for (const w of windows) {
        for (const cut of [w.firstToken, w.endToken]) {
          if (cut > 0 && cut < tokens.length) assert.ok(tokens[cut].start >= tokens[cut - 1].end, `context ${context}: a cut at ${cut} splits a character`);
        }
      }
    }
  });

  it('counts only the zero-width specials at the ends as inserted', () => {
    const { tokenized } = words(5, 1, 1);
    assert.deepEqual(insertedCounts(tokenized.tokens, { before: 1, after: 1 }), { before: 1, after: 1 });
    // A typed "[CLS]" covers text: it is the text's, not the tokenizer's.
    const typed = [{ ...tokenized.tokens[0], start: 0, end: 5 }, ...tokenized.tokens.slice(1)];
    assert.deepEqual(insertedCounts(typed, { before: 1, after: 1 }), { before: 0, after: 1 });
    assert.deepEqual(insertedCounts(tokenized.tokens, { before: 0, after: 0 }), { before: 0, after: 0 });
  });
});

// Accents (NFD and composed), emoji (surrogate pairs, byte fallback), CRLF, tabs, right-to-left.
const AWKWARD_TEXT = [
  'La autoatención es un tipo de mecanismo de atención que relaciona posiciones distintas de una secuencia.',
  'e\u0301te\u0301 naïve CAFÉ 👍🏽 ok 😀😀 a😀b\r\n\tindented\tline\r\n',
  'الانتباه هو كل ما تحتاجه · שלום עולם · 注意力机制\r\n',
].join(' ').repeat(6);

for (const model of FIXTURES) {
  describe(`windows over ${model}'s tokens`, () => {
    let tok: TextTokenizer;
    before(async () => {
      tok = await TextTokenizer.fromFolder(path.join(MODELS_DIR, model));
    });

    it('map every token back to its text, cut between characters, and wrap each window in the specials', () => {
      const whole = tok.encode(AWKWARD_TEXT);
      const inserted = insertedCounts(whole.tokens, tok.inserted);
      assert.deepEqual(inserted, tok.inserted, 'the tokenizer\'s own specials are found at the ends');
      const n = whole.tokens.length - inserted.before - inserted.after;
      const body = whole.tokens.slice(inserted.before, whole.tokens.length - inserted.after);
      for (const context of [24, 64]) {
        const windows = planWindows(whole, inserted, context);
        const size = context - inserted.before - inserted.after;
        checkPlan(windows, n, size, 3);
        assert.ok(windows.length > 2);
        for (const w of windows) {
          const input = windowInput(whole, inserted, w);
          assert.ok(input.tokens.length <= context);
          const head = input.tokens.slice(0, inserted.before);
          const tail = input.tokens.slice(input.tokens.length - inserted.after);
          assert.deepEqual(head.map((t) => t.id), whole.tokens.slice(0, inserted.before).map((t) => t.id));
          assert.deepEqual(tail.map((t) => t.id), whole.tokens.slice(whole.tokens.length - inserted.after).map((t) => t.id));
          assert.ok(head.every((t) => t.start === w.start && t.end === w.start && t.special));
          assert.ok(tail.every((t) => t.start === w.end && t.end === w.end && t.special));
          const inside = input.tokens.slice(inserted.before, input.tokens.length - inserted.after);
          assert.deepEqual(inside, body.slice(w.firstToken, w.endToken));
          for (const t of inside) assert.ok(w.start <= t.start && t.end <= w.end, `${JSON.stringify(t)} outside [${w.start}, ${w.end})`);
          // No cut inside a character: a surrogate pair, or the byte tokens of one character.
          for (const cut of [w.start, w.end]) {
            const c = AWKWARD_TEXT.charCodeAt(cut);
            assert.ok(!(c >= 0xdc00 && c <= 0xdfff), `window [${w.start}, ${w.end}) cuts a surrogate pair`);
          }
          if (w.firstToken > 0) assert.ok(body[w.firstToken].start >= body[w.firstToken - 1].end, 'a window starts inside a character');
        }
      }
    });
  });
}
