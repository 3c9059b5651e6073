// The faster BPE merge lookup must change nothing but speed: the same tokens as the library's own
// lookup, on the fixtures' tokenizers and on merge tables built to trip up a careless copy.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { Tokenizer } from '@huggingface/tokenizers';
import { useFastMergeLookup } from '../../src/engine/mergeLookup';
import { TextTokenizer } from '../../src/engine/tokenizer';
import { FIXTURES, MODELS_DIR, golden } from './fixtures';

type Json = Record<string, unknown>;

const PIECES = ['Once', ' upon', ' a time', ',', ' there', ' was', ' Lily', 'é', 'e\u0301', '😀', '👍🏽', '注意力', 'الانتباه',
  '\r\n', '\t', '  ', 'the', 'ing', 'xyzzy', 'qqqq', '\u2581', '0x1F', '1234567', '"quoted"', 'back\\slash', 'ﬁ'];

/** Deterministic mixed texts, short and long (the library caches words under 256 characters only). */
function texts(count: number): string[] {
  let seed = 987654;
  const random = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
  const made = Array.from({ length: count }, (_, i) =>
    Array.from({ length: 1 + random(i % 4 === 0 ? 200 : 25) }, () => PIECES[random(PIECES.length)]).join(''));
  const story = 'Once upon a time, there was a little girl named Lily who loved to play in the park. '.repeat(12);
  return [...made, story, 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', ''];
}

function readJson(model: string, file: string): Json {
  return JSON.parse(readFileSync(path.join(MODELS_DIR, model, file), 'utf8')) as Json;
}

/** The library's tokenizer for a tokenizer.json, with or without the faster lookup. */
function libraryTokenizer(json: Json, config: Json, fast: boolean): { tokenizer: Tokenizer; fast: boolean } {
  const tokenizer = new Tokenizer(json, config);
  return { tokenizer, fast: fast && useFastMergeLookup(tokenizer.model) };
}

function assertSameTokens(json: Json, config: Json, inputs: string[]): void {
  const plain = libraryTokenizer(json, config, false).tokenizer;
  const { tokenizer: fast, fast: applied } = libraryTokenizer(json, config, true);
  assert.ok(applied, 'the faster lookup applies to this BPE tokenizer');
  for (const text of inputs) {
    const expected = plain.encode(text);
    const actual = fast.encode(text);
    assert.deepEqual(actual.tokens, expected.tokens, `tokens of ${JSON.stringify(text.slice(0, 60))}`);
    assert.deepEqual(actual.ids, expected.ids, `ids of ${JSON.stringify(text.slice(0, 60))}`);
  }
}

/** A minimal tokenizer.json: a BPE model over the given pieces and merges, nothing around it. */
function tinyBpe(vocab: string[], merges: string[] | [string, string][]): Json {
  return {
    version: '1.0', added_tokens: [], normalizer: null, pre_tokenizer: null, post_processor: null, decoder: null,
    model: { type: 'BPE', vocab: Object.fromEntries(vocab.map((v, i) => [v, i])), merges, unk_token: null },
  };
}

describe('faster BPE merge lookup', () => {
  for (const model of FIXTURES) {
    const json = readJson(model, 'tokenizer.json');
    const config = readJson(model, 'tokenizer_config.json');
    const isBpe = (json.model as Json).type === 'BPE';
    if (isBpe) {
      it(`${model}: the same tokens as the library's own lookup`, () => {
        assertSameTokens(json, config, [...golden(model).map((p) => p.text), ...texts(150)]);
      });
    } else {
      it(`${model}: a ${String((json.model as Json).type)} model is left as it is`, () => {
        const tokenizer = new Tokenizer(json, config);
        const before = (tokenizer.model as unknown as Json).add_node;
        assert.equal(useFastMergeLookup(tokenizer.model), false);
        assert.equal((tokenizer.model as unknown as Json).add_node, before);
      });
    }
  }

  it('the engine tokenizer uses it for BPE models and still matches golden.json', async () => {
    for (const model of FIXTURES.filter((m) => (readJson(m, 'tokenizer.json').model as Json).type === 'BPE')) {
      const tok = await TextTokenizer.fromFolder(path.join(MODELS_DIR, model));
      const lib = (tok as unknown as { lib: Tokenizer }).lib;
      assert.notEqual((lib.model as unknown as Json).add_node, (new Tokenizer(readJson(model, 'tokenizer.json'),
        readJson(model, 'tokenizer_config.json')).model as unknown as Json).add_node, `${model} uses the faster lookup`);
      for (const prompt of golden(model)) assert.deepEqual(tok.encode(prompt.text).tokens.map((t) => t.id), prompt.input_ids);
    }
  });

  it('a pair listed twice takes its later rank, as in the library', () => {
    // "a b" is listed first and again after "b c": the library's table keeps rank 2 for it, so "b c"
    // (rank 1) merges first and "abc" becomes a + bc. Keeping the first rank would give ab + c.
    const json = tinyBpe(['a', 'b', 'c', 'ab', 'bc'], ['a b', 'b c', 'a b']);
    assertSameTokens(json, {}, ['abc', 'abcabc', 'cab', 'bca']);
    const fast = new Tokenizer(json, {});
    useFastMergeLookup(fast.model);
    assert.deepEqual(fast.encode('abc').tokens, ['a', 'bc']);
  });

  it('pieces with quotes, backslashes and spaces keep their ranks', () => {
    // Array-form merges may contain spaces; JSON-special characters must not confuse the table.
    const vocab = ['"', '\\', ' ', 'x', '"\\', ' x', '"\\ x', 'x"'];
    const merges: [string, string][] = [['"', '\\'], [' ', 'x'], ['"\\', ' x'], ['x', '"']];
    assertSameTokens(tinyBpe(vocab, merges), {}, ['"\\ x', 'x"\\ x"', ' x x', '\\"', 'x" \\']);
  });

  it('is not applied to a model that is not BPE-shaped', () => {
    assert.equal(useFastMergeLookup(undefined), false);
    assert.equal(useFastMergeLookup({ bpe_ranks: new Map(), merges: [], add_node: (_q: unknown, _n: unknown) => undefined }), false);
  });
});
