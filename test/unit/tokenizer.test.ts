// The tokenizer against the fixtures' goldens (ids, pieces, offsets), and its offsets against the
// properties the editor relies on, for texts that stress normalisation, bytes and surrogates.
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ByteLevelPreTokenizer } from '@huggingface/tokenizers';
import { EngineError } from '../../src/engine/errors';
import { TextTokenizer } from '../../src/engine/tokenizer';
import type { Token } from '../../src/protocol';
import { FIXTURES, MODELS_DIR, golden } from './fixtures';

const BYTE_PIECE = /^<0x([0-9A-F]{2})>$/;
const isHigh = (c: number): boolean => c >= 0xd800 && c <= 0xdbff;
const isLow = (c: number): boolean => c >= 0xdc00 && c <= 0xdfff;
const utf8 = (s: string): number[] => [...new TextEncoder().encode(s)];

/** Text as a tokenizer may see it: no case, no accents, no invisible controls, '▁' for a space. */
const fold = (s: string): string =>
  s.toLowerCase().normalize('NFD').replace(/[\p{M}\p{Cc}\p{Cf}\p{Cs}]/gu, '').replace(/ς/g, 'σ').replace(/\u2581/g, ' ');

interface CheckOptions {
  unkId?: number;
  /** GPT-2 byte-level stand-in character → byte, for byte-level tokenizers. */
  bytes?: Map<string, number>;
  /** The comparison for surface forms, where a tokenizer normalises more than `fold` undoes. */
  fold?: (s: string) => string;
}

/** Asserts everything an offset must satisfy. */
function checkOffsets(text: string, tokens: Token[], opts: CheckOptions = {}): void {
  const { unkId, bytes, fold: same = fold } = opts;
  const covered = new Uint8Array(text.length);
  tokens.forEach((t, i) => {
    const where = `token ${i} ${JSON.stringify(t.text)} [${t.start}, ${t.end}) of ${JSON.stringify(text.slice(0, 80))}`;
    assert.ok(Number.isInteger(t.start) && Number.isInteger(t.end), where);
    assert.ok(0 <= t.start && t.start <= t.end && t.end <= text.length, `out of bounds: ${where}`);
    if (i > 0) assert.ok(t.start >= tokens[i - 1].start, `offsets go back: ${where}`);
    for (const p of [t.start, t.end]) {
      assert.ok(!(isHigh(text.charCodeAt(p - 1)) && isLow(text.charCodeAt(p))), `splits a surrogate pair: ${where}`);
    }
    covered.fill(1, t.start, t.end);
    if (t.special) return;
    const slice = text.slice(t.start, t.end);
    if (t.id === unkId) return assert.ok(slice.length > 0, `unknown token covers nothing: ${where}`);
    if (BYTE_PIECE.test(t.text) || bytes) return;
    const surface = same(t.text.replace(/^##(?=.)/, ''));
    // The '▁' a Llama normaliser prepends has no character of its own: it belongs to the first one.
    const prepended = surface.startsWith(' ') && (i === 0 || tokens[i - 1].special) && !same(slice).startsWith(' ');
    if (prepended && surface === ' ') return assert.match(slice, /^[\s\S]\p{M}*$/u, `prepended marker: ${where}`);
    assert.equal(same(slice), prepended ? surface.slice(1) : surface, `surface form: ${where}`);
  });
  // Byte pieces: the tokens sharing one span spell exactly the UTF-8 of that span.
  const toBytes = (x: Token): number[] | null => {
    const m = BYTE_PIECE.exec(x.text);
    if (m) return [parseInt(m[1], 16)];
    return bytes && !x.special && x.id !== unkId ? [...x.text].map((c) => bytes.get(c) as number) : null;
  };
  for (let i = 0, j = 0; i < tokens.length; i = Math.max(j, i + 1)) {
    const t = tokens[i];
    const group: number[] = [];
    for (j = i; j < tokens.length && toBytes(tokens[j]) && tokens[j].start === t.start && tokens[j].end === t.end; j++) {
      group.push(...(toBytes(tokens[j]) as number[]));
    }
    if (j === i) continue;
    const span = utf8(text.slice(t.start, t.end));
    if (bytes) {
      // Byte-level pieces may start or end inside a character: they lie within its bytes.
      assert.ok(span.join(',').includes(group.join(',')) && span.length < group.length + 7, `byte-level span of token ${i}`);
    } else assert.deepEqual(group, span, `byte-fallback tokens ${i}..${j - 1} must spell their character`);
  }
  // Every visible character belongs to some token.
  for (let k = 0; k < text.length; k++) {
    if (!covered[k] && !/[\s\p{Cc}\p{Cf}\p{Cs}]/u.test(text[k])) assert.fail(`character ${k} of ${JSON.stringify(text.slice(0, 80))} is in no token`);
  }
}

const TEXTS = [
  'La autoatención es un tipo de mecanismo de atención.', 'Ça va? Éléphant naïve, CAFÉ', 'e\u0301te\u0301 ΣΊΣΥΦΟΣ İstanbul',
  '👍🏽 ok', '😀', 'a😀b 😀😀', 'line one\r\nline two\r\n', '\tindented\t\ttabs', '注意力机制', 'mixed 注意力 text',
  'الانتباه هو كل ما تحتاجه', 'שלום עולם', '   leading and trailing   ', 'runs    of  \n\n  spaces', '', ' ', '\n',
  'lone \uD800 high', 'lone low \uDC00', '\uDC00\uD800', 'nul\0byte\0', 'def add(a, b):\n    return a + b\n', 'ﬁne ① ＡＢＣ',
];

const AWKWARD = ['a', 'Bc', 'é', 'e\u0301', ' ', '  ', '\t', '\r\n', '\n', '😀', '👍🏽', '注', 'ا', 'ש', '\uD800', '\uDC00', '\0', '.',
  '(', '##', '\u2581', 'Σ', 'ﬁ', '<s>', '</s>', '[CLS]', '[UNK]', '<unk>', '<|endoftext|>', '\u00A0', '\u3000', 'İ', 'ö', '\u200B',
  '0x1F', 'ing', ' wörld', 'Ａ'];

/** Deterministic texts made of awkward pieces, so a failure can be replayed. */
function awkwardTexts(count: number, maxPieces: number): string[] {
  let seed = 12345;
  const random = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
  return Array.from({ length: count }, () => Array.from({ length: random(maxPieces) }, () => AWKWARD[random(AWKWARD.length)]).join(''));
}

for (const model of FIXTURES) {
  describe(`tokenizer: ${model}`, () => {
    let tok: TextTokenizer;
    let unkId: number | undefined;
    before(async () => {
      tok = await TextTokenizer.fromFolder(path.join(MODELS_DIR, model));
      unkId = tok.tokenToId(model === 'bert-tiny-random' ? '[UNK]' : '<unk>');
    });

    for (const prompt of golden(model)) {
      it(`${prompt.id}: ids, pieces and offsets equal golden.json`, () => {
        const { tokens, typeIds } = tok.encode(prompt.text);
        assert.deepEqual(tokens.map((t) => t.id), prompt.input_ids);
        assert.deepEqual(tokens.map((t) => t.text), prompt.tokens);
        const goldenTypes = (prompt as { token_type_ids?: number[] }).token_type_ids;
        assert.deepEqual(typeIds, goldenTypes ?? new Array(tokens.length).fill(0));
        // One deliberate difference: a special token the post-processor appends after the text
        // ([SEP]) sits at the end of the text here, where golden.json puts every special at [0, 0].
        const appended = (i: number): boolean => i > 0 && tokens.slice(i).every((t) => t.special);
        const expected = prompt.offsets.map((o, i) => (appended(i) ? [prompt.text.length, prompt.text.length] : o));
        assert.deepEqual(tokens.map((t) => [t.start, t.end]), expected);
        checkOffsets(prompt.text, tokens, { unkId });
      });
    }

    it('offsets keep their properties on accents, emoji, CRLF, tabs, CJK, RTL, lone surrogates and NUL', () => {
      for (const text of TEXTS) {
        const { tokens, typeIds } = tok.encode(text);
        assert.equal(typeIds.length, tokens.length);
        assert.ok(tokens.every((t) => !t.special || t.start === t.end), `special tokens are zero-width in ${JSON.stringify(text)}`);
        checkOffsets(text, tokens, { unkId });
      }
    });

    it('offsets keep their properties on random mixtures of awkward characters', () => {
      for (const text of awkwardTexts(300, 24)) checkOffsets(text, tok.encode(text).tokens, { unkId });
    });

    it('empty text gives only the inserted special tokens', () => {
      const { tokens } = tok.encode('');
      assert.ok(tokens.length > 0 && tokens.every((t) => t.special && t.start === 0 && t.end === 0));
    });

    it('a special token typed in the text is special and spans what was typed', () => {
      const literal = model === 'bert-tiny-random' ? '[CLS]' : model === 'stories260k' ? '</s>' : ' <|end_story|>';
      const text = `ab${literal} cd`;
      const { tokens } = tok.encode(text);
      const hit = tokens.find((t) => t.special && t.start !== t.end);
      assert.ok(hit, 'the typed special token is found');
      assert.equal(fold(text.slice(hit.start, hit.end)).trim(), fold(literal).trim());
      checkOffsets(text, tokens, { unkId });
    });

    // How long this takes is a figure of `npm run bench -- --startup`, not a budget of this test.
    it('tokenises and aligns 100,000 characters', () => {
      const unit = 'Once upon a time, Lily said: «¿Qué tal?» 注意力 👍🏽\r\n\tالانتباه 0x1F\0 ';
      const text = unit.repeat(Math.ceil(100_000 / unit.length)).slice(0, 100_000);
      const { tokens } = tok.encode(text);
      checkOffsets(text, tokens, { unkId });
    });
  });
}

describe('tokenizer: the offset checks can fail', () => {
  it('catches a moved token, a split surrogate pair, a step back, a gap and split byte tokens', async () => {
    const tok = await TextTokenizer.fromFolder(path.join(MODELS_DIR, 'stories260k'));
    const text = 'La autoatención 😀';
    const { tokens } = tok.encode(text);
    const edit = (i: number, change: Partial<Token>): Token[] => tokens.map((t, k) => (k === i ? { ...t, ...change } : t));
    const moved = tokens.findIndex((t) => t.text === 'ut');
    const emoji = tokens.findIndex((t) => t.text === '<0xF0>');
    checkOffsets(text, tokens);
    assert.throws(() => checkOffsets(text, edit(moved, { start: tokens[moved].start + 1, end: tokens[moved].end + 1 })), /surface form/);
    assert.throws(() => checkOffsets(text, edit(emoji, { end: tokens[emoji].start + 1 })), /surrogate/);
    assert.throws(() => checkOffsets(text, edit(moved, { start: 0 })), /go back/);
    assert.throws(() => checkOffsets(text, tokens.filter((_, k) => k !== moved)), /in no token/);
    const accent = tokens.findIndex((t) => t.text === '<0xC3>');
    assert.throws(() => checkOffsets(text, edit(accent + 1, { end: tokens[accent].end + 1 })), /spell their character/);
  });
});

describe('tokenizer: conventions beyond the fixtures', () => {
  it('GPT-2 byte-level pieces, including ones that split a character', () => {
    const encoder = new ByteLevelPreTokenizer({ type: 'ByteLevel', add_prefix_space: false } as never).byte_encoder;
    const vocab: Record<string, number> = {};
    Object.values(encoder).forEach((c, i) => (vocab[c] = i));
    const merges = [['Ġ', 'w'], ['o', 'r'], ['Ġw', 'or'], ['l', 'd'], [encoder[0xc3], encoder[0xb6]], ['Ġw', encoder[0xc3]], [encoder[0xf0], encoder[0x9f]]];
    for (const [a, b] of merges) vocab[a + b] ??= Object.keys(vocab).length;
    const tok = TextTokenizer.fromJson({
      added_tokens: [{ id: 999, content: '<|endoftext|>', special: true, normalized: false }],
      normalizer: null, pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, use_regex: true },
      post_processor: null, decoder: { type: 'ByteLevel' },
      model: { type: 'BPE', vocab, merges, unk_token: null, byte_fallback: false },
    });
    const bytes = new Map(Object.entries(encoder).map(([b, c]) => [c, Number(b)]));
    const decode = (ts: Token[]): string => new TextDecoder().decode(new Uint8Array(ts.flatMap((t) => [...t.text].map((c) => bytes.get(c) as number))));
    for (const text of [...TEXTS, 'Hello wörld world wöw', 'x<|endoftext|>y', ...awkwardTexts(200, 30)]) {
      const { tokens } = tok.encode(text);
      assert.equal(decode(tokens.filter((t) => !t.special)), new TextDecoder().decode(new TextEncoder().encode(text.split('<|endoftext|>').join(''))));
      checkOffsets(text, tokens, { bytes });
    }
  });

  it('Unigram with Metaspace, NFKC, lowercase and a regex Replace', () => {
    const pieces = ['</s>', '▁', 'a', 'bc', '▁a', 'e', 'é', 'ö', 's', 'σ', 'ς', 'fi', '▁▁', 'ing', '0', 'x', '1', 'f', '.', '('];
    const tok = TextTokenizer.fromJson({
      added_tokens: [{ id: 0, content: '<unk>', special: true }, { id: 1, content: '</s>', special: true }],
      normalizer: { type: 'Sequence', normalizers: [{ type: 'NFKC' }, { type: 'Lowercase' }, { type: 'Replace', pattern: { Regex: ' {2,}' }, content: ' ' }] },
      pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true },
      post_processor: { type: 'TemplateProcessing', single: [{ Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '</s>', type_id: 0 } }] },
      decoder: { type: 'Metaspace', replacement: '▁' },
      model: { type: 'Unigram', unk_id: 0, vocab: [['<unk>', 0], ...pieces.map((p, i) => [p, -1 - (i % 3)])] },
    });
    const nfkc = (s: string): string => fold(s.normalize('NFKC')).replace(/ {2,}/g, ' ');
    for (const text of [...TEXTS, ...awkwardTexts(200, 30)]) {
      const { tokens } = tok.encode(text);
      assert.ok(tokens.length > 0 && tokens[tokens.length - 1].special && tokens[tokens.length - 1].start === text.length);
      checkOffsets(text, tokens, { unkId: 0, fold: nfkc });
    }
  });
});

describe('tokenizer: folders that cannot be used', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tokenizer-test-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const folder = (name: string, files: Record<string, string>): string => {
    const d = path.join(dir, name);
    mkdirSync(d);
    for (const [f, body] of Object.entries(files)) writeFileSync(path.join(d, f), body);
    return d;
  };
  const rejects = (d: string, code: string, words: RegExp): Promise<void> => assert.rejects(TextTokenizer.fromFolder(d), (err: unknown) => {
    assert.ok(err instanceof EngineError, String(err));
    assert.equal(err.code, code);
    assert.match(err.message, words);
    return true;
  });

  it('a folder without tokenizer.json is tokenizer-missing, naming the folder and the file', async () => {
    const d = folder('empty', { 'config.json': '{}' });
    await rejects(d, 'tokenizer-missing', /tokenizer\.json/);
    await rejects(d, 'tokenizer-missing', new RegExp(d.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')));
    await rejects(path.join(dir, 'no-such-folder'), 'tokenizer-missing', /tokenizer\.json/);
  });

  it('garbage or the wrong shape is tokenizer-invalid', async () => {
    await rejects(folder('garbage', { 'tokenizer.json': '{not json at all' }), 'tokenizer-invalid', /tokenizer\.json/);
    await rejects(folder('array', { 'tokenizer.json': '[1, 2, 3]' }), 'tokenizer-invalid', /tokenizer\.json/);
    await rejects(folder('unknown', { 'tokenizer.json': JSON.stringify({ added_tokens: [], model: { type: 'Nonsense' } }) }), 'tokenizer-invalid', /cannot be used/);
    await rejects(folder('config', { 'tokenizer.json': '{"model": {}}', 'tokenizer_config.json': '<html>' }), 'tokenizer-invalid', /tokenizer_config\.json/);
  });
});
