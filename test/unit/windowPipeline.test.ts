// The pipeline runs one window of a text longer than the context: its tokens keep their offsets in
// the whole text, so the editor places them on the right characters with no arithmetic.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { after, describe, it } from 'node:test';
import { EngineError } from '../../src/engine/errors';
import { Pipeline } from '../../src/engine/pipeline';
import { TextTokenizer } from '../../src/engine/tokenizer';
import { insertedCounts } from '../../src/engine/windows';
import { positionsIn } from '../../src/host/textPositions';
import type { InspectionStarted } from '../../src/protocol';
import { CLI, MODELS_DIR } from './fixtures';

const PARAGRAPH = 'La autoatención es un tipo de mecanismo de atención: relaciona posiciones 👍🏽 distintas\r\n'
  + 'de una secuencia e\u0301te\u0301 para calcular su representación.\tOnce upon a time there was a girl named Lily.\r\n';
const LONG = PARAGRAPH.repeat(40);

/** A document holding `text` from line 3, character 4, as the editor would have it. */
function documentAround(text: string): { lines: string[]; at: (offset: number) => string } {
  const prefix = 'one\ntwo\nthree\nfour';
  const lines = (prefix + text + '\nafter').split(/\r\n|\n/);
  const place = positionsIn(text, { line: 3, character: 4 });
  return { lines, at: (offset) => {
    const { line, character } = place(offset);
    return lines[line].slice(character, character + 1);
  } };
}

for (const model of ['bert-tiny-random', 'tinystories-656k']) {
  describe(`pipeline windows: ${model}`, () => {
    const dir = path.join(MODELS_DIR, model);
    const pipeline = new Pipeline();
    after(() => pipeline.dispose());

    it('runs window 1 of a long text: its tokens point at their text and its specials sit at its ends', async () => {
      let started: InspectionStarted | undefined;
      const layers: number[] = [];
      await pipeline.inspect({ model: dir, text: LONG, provider: 'cpu', window: 1 }, {
        onStarted: (s) => { started = s; },
        onLayer: (l) => { layers.push(l.tokens); },
      });
      const { window, tokens, truncatedFrom, warnings } = started!;
      assert.ok(window, 'the inspection says which window ran');
      assert.equal(truncatedFrom, undefined);
      assert.deepEqual(warnings, []);
      assert.equal(window.index, 1);
      assert.ok(window.count >= 3, `${window.count} windows`);
      assert.equal(tokens.length, 512, 'a window holds the model\'s context by default');
      assert.ok(layers.every((T) => T === tokens.length));
      // The same tokens as the whole text's, at the same offsets.
      const tok = await TextTokenizer.fromFolder(dir);
      const whole = tok.encode(LONG).tokens;
      const inserted = insertedCounts(whole, tok.inserted);
      const body = tokens.slice(inserted.before, tokens.length - inserted.after);
      assert.deepEqual(body, whole.slice(inserted.before + window.firstToken, inserted.before + window.endToken));
      assert.equal(window.textTokens, whole.length - inserted.before - inserted.after);
      assert.ok(window.start > 0 && window.end <= LONG.length);
      for (const t of tokens.slice(0, inserted.before)) assert.deepEqual([t.special, t.start, t.end], [true, window.start, window.start]);
      for (const t of tokens.slice(tokens.length - inserted.after)) assert.deepEqual([t.special, t.start, t.end], [true, window.end, window.end]);
      // Placed in a document, each token's first character is the text's character at its offset.
      const doc = documentAround(LONG);
      for (const t of body.filter((b) => b.end > b.start)) {
        assert.ok(window.start <= t.start && t.end <= window.end);
        const expected = LONG[t.start] === '\r' ? '' : LONG[t.start];
        assert.equal(doc.at(t.start), expected === '\n' ? '' : expected, `token ${JSON.stringify(t)}`);
      }
      // Window 1 starts a quarter of a window before window 0 ends.
      const size = 512 - inserted.before - inserted.after;
      assert.equal(window.firstToken, size - Math.floor(size / 4));
    });

    it('a text that fits is one window; a window past the last is refused in words', async () => {
      let started: InspectionStarted | undefined;
      await pipeline.inspect({ model: dir, text: PARAGRAPH, provider: 'cpu', window: 0 }, { onStarted: (s) => { started = s; } });
      assert.equal(started!.window?.count, 1);
      assert.equal(started!.window?.start, 0);
      await assert.rejects(pipeline.inspect({ model: dir, text: PARAGRAPH, provider: 'cpu', window: 1 }),
        (err: unknown) => err instanceof EngineError && err.code === 'no-such-window' && /1 window of 512 tokens/.test(err.message));
    });

    it('without a window a long text is cut to maxTokens with a warning, as before', async () => {
      let started: InspectionStarted | undefined;
      await pipeline.inspect({ model: dir, text: LONG, provider: 'cpu', maxTokens: 64 }, { onStarted: (s) => { started = s; } });
      assert.equal(started!.tokens.length, 64);
      assert.equal(started!.window, undefined);
      assert.ok(started!.truncatedFrom! > 64);
      assert.equal(started!.warnings.length, 1);
    });
  });
}

describe('the CLI inspects windows', () => {
  const dir = path.join(MODELS_DIR, 'bert-tiny-random');
  const run = (...args: string[]) => promisify(execFile)(process.execPath, [CLI, 'inspect', '--model', dir, '--text', LONG, '--provider', 'cpu', ...args]);

  it('window 1 by default, saying how many there are; --window 2 is the pipeline\'s window 1', async () => {
    const first = await run('--quiet');
    assert.match(first.stderr, /^note: The text has \d+ tokens, more than the model reads at once \(512\): this is window 1 of \d+ \(text tokens 1–510, characters 0–\d+\)\. --window N inspects another\.$/m);
    const out = path.join(mkdtempSync(path.join(tmpdir(), 'attention-lens-windows-')), 'report.json');
    await run('--window', '2', '--out', out, '--quiet');
    const report = JSON.parse(readFileSync(out, 'utf8')) as { tokens: { id: number; start: number; end: number }[]; text: string };
    const pipeline = new Pipeline();
    let started: InspectionStarted | undefined;
    await pipeline.inspect({ model: dir, text: LONG, provider: 'cpu', window: 1 }, { onStarted: (s) => { started = s; } }).finally(() => pipeline.dispose());
    assert.equal(report.text, LONG, 'the report keeps the whole text, which the offsets index');
    assert.ok((report as { warnings?: string[] }).warnings?.some((w) => /this is window 2 of/.test(w)), 'the report says which window it is');
    assert.deepEqual(report.tokens.map((t) => [t.id, t.start, t.end]), started!.tokens.map((t) => [t.id, t.start, t.end]));
  });

  it('--window past the last fails in words; --max-tokens alone still cuts the text', async () => {
    await assert.rejects(run('--window', '99', '--quiet'), (err: { stderr: string }) => /there is no window 99/.test(err.stderr));
    const cut = await run('--max-tokens', '40', '--quiet');
    assert.match(cut.stderr, /warning: The text has \d+ tokens; only the first 40 were inspected/);
  });
});
