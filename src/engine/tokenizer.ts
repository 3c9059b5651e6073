// The model's own tokenizer (tokenizer.json through @huggingface/tokenizers), plus the offsets that
// library does not report: each token learns which part of the inspected text it stands for.
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import type { Token } from '../protocol';
import { EngineError } from './errors';
import { useFastMergeLookup } from './mergeLookup';
import { alignPieces, type NormalizerStep, type Piece, type PieceConventions } from './offsets';

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** A Replace pattern as the library compiles it; a regex JavaScript cannot parse is left out of the replay. */
function patternOf(p: unknown): RegExp | null {
  if (!isObject(p)) return null;
  if (typeof p.String === 'string') return new RegExp(p.String.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gu');
  try {
    return typeof p.Regex === 'string' ? new RegExp(p.Regex, 'gu') : null;
  } catch {
    return null;
  }
}

function normalizerSteps(n: unknown, steps: NormalizerStep[]): void {
  if (!isObject(n)) return;
  const stripAccents = (): void => void steps.push({ kind: 'unicode', form: 'NFD' }, { kind: 'stripMarks', nonSpacingOnly: true });
  switch (n.type) {
    case 'Sequence':
      for (const child of list(n.normalizers)) normalizerSteps(child, steps);
      break;
    case 'BertNormalizer':
      // Same truthiness tests as the library, which reads these keys without defaults.
      if (n.clean_text) steps.push({ kind: 'clean' });
      if (n.handle_chinese_chars) steps.push({ kind: 'cjkSpaces' });
      if (n.lowercase) {
        steps.push({ kind: 'lowercase' });
        if (n.strip_accents !== false) stripAccents();
      } else if (n.strip_accents) stripAccents();
      break;
    case 'Lowercase':
      steps.push({ kind: 'lowercase' });
      break;
    case 'NFC': case 'NFD': case 'NFKC': case 'NFKD':
      steps.push({ kind: 'unicode', form: n.type });
      break;
    case 'StripAccents':
      steps.push({ kind: 'stripMarks', nonSpacingOnly: false });
      break;
    case 'Precompiled':
      steps.push({ kind: 'precompiled' }, { kind: 'unicode', form: 'NFKC' });
      break;
    case 'Prepend':
      steps.push({ kind: 'prepend', text: str(n.prepend) ?? '' });
      break;
    case 'Strip':
      steps.push({ kind: 'strip', left: Boolean(n.strip_left), right: Boolean(n.strip_right) });
      break;
    case 'Replace': {
      const pattern = patternOf(n.pattern);
      if (pattern) steps.push({ kind: 'replace', pattern, content: str(n.content) ?? '' });
    }
  }
}

/** Pre-tokenizers, with Sequences flattened. */
function preTokenizers(p: unknown): Json[] {
  if (!isObject(p)) return [];
  return p.type === 'Sequence' ? list(p.pretokenizers).flatMap(preTokenizers) : [p];
}

/** The piece spelling of a tokenizer.json, for the offset alignment. */
export function pieceConventions(json: Json, config: Json, literalAdded: string[] = []): PieceConventions {
  const model = isObject(json.model) ? json.model : {};
  const pre = preTokenizers(json.pre_tokenizer);
  const steps: NormalizerStep[] = [];
  if (config.do_lowercase_and_remove_accent) steps.push({ kind: 'lowercase' }, { kind: 'stripMarks', nonSpacingOnly: false });
  normalizerSteps(json.normalizer, steps);
  for (const p of pre) if (p.type === 'Replace') normalizerSteps(p, steps);
  const metaspace = pre.find((p) => p.type === 'Metaspace');
  const spaceReplace = steps.find((s) => s.kind === 'replace' && s.pattern.source === ' ');
  const unigramUnk = typeof model.unk_id === 'number' ? list(list(model.vocab)[model.unk_id])[0] : null;
  return {
    steps,
    continuingPrefix: str(model.continuing_subword_prefix),
    endOfWordSuffix: str(model.end_of_word_suffix),
    spaceMarker: metaspace ? (str(metaspace.replacement) ?? '\u2581')
      : spaceReplace?.kind === 'replace' ? spaceReplace.content || null : null,
    byteLevel: pre.some((p) => p.type === 'ByteLevel') || (isObject(json.decoder) && json.decoder.type === 'ByteLevel'),
    byteFallback: model.byte_fallback === true,
    unkToken: str(model.unk_token) ?? str(unigramUnk),
    dropsWhitespace: config.remove_space === true || pre.some((p) =>
      ['BertPreTokenizer', 'Whitespace', 'WhitespaceSplit'].includes(String(p.type))
      || (p.type === 'Split' && (p.invert === true || String(p.behavior).toLowerCase() === 'removed'))),
    wordLevelUnk: model.type === 'WordPiece',
    literalAdded,
  };
}

/** The tokens the post-processor puts before and after the text of a single sequence. */
function insertedAround(post: unknown): { before: string[]; after: string[] } {
  if (!isObject(post)) return { before: [], after: [] };
  if (post.type === 'Sequence') {
    // Each processor wraps what the previous one produced.
    return list(post.processors).map(insertedAround).reduce(
      (acc, p) => ({ before: [...p.before, ...acc.before], after: [...acc.after, ...p.after] }), { before: [], after: [] });
  }
  if (post.type === 'BertProcessing' || post.type === 'RobertaProcessing') {
    return { before: [String(list(post.cls)[0])], after: [String(list(post.sep)[0])] };
  }
  if (post.type !== 'TemplateProcessing') return { before: [], after: [] };
  const items = list(post.single).filter(isObject);
  const seq = items.findIndex((item) => 'Sequence' in item);
  const ids = (xs: Json[]): string[] => xs.flatMap((x) => (isObject(x.SpecialToken) ? [String(x.SpecialToken.id)] : []));
  return { before: ids(items.slice(0, Math.max(seq, 0))), after: seq < 0 ? [] : ids(items.slice(seq + 1)) };
}

/** Reads a JSON file; undefined when it does not exist. */
async function readJson(file: string): Promise<unknown> {
  let raw: string;
  try {
    raw = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new EngineError('tokenizer-invalid', `Attention Lens could not read ${file}.`, String(err));
  }
  try {
    return JSON.parse(raw);
  } catch (err) {
    throw new EngineError('tokenizer-invalid', `${file} is not valid JSON, so the tokenizer cannot be loaded.`, String(err));
  }
}

/** Turns text into the model's tokens, each with the range of the text it stands for. */
export class TextTokenizer {
  private readonly added = new Set<string>();
  private readonly specialIds = new Set<number>();
  private readonly unkId: number | undefined;
  private readonly around: { before: string[]; after: string[] };
  /** Number of embedding rows the ids index: the largest id plus one. */
  readonly vocabSize: number;

  private readonly conventions: PieceConventions;

  private constructor(private readonly lib: Tokenizer, json: Json, config: Json) {
    const literal: string[] = [];
    for (const t of lib.get_added_tokens_decoder().values()) {
      this.added.add(t.content);
      // Like the library: normalised added tokens are looked for in the normalised text, the others in the raw text.
      if (t.normalized && lib.normalizer) this.added.add(lib.normalizer.normalize(t.content));
      else literal.push(t.content);
      if (t.special) this.specialIds.add(t.id);
    }
    const conventions = pieceConventions(json, config, literal);
    this.conventions = conventions;
    useFastMergeLookup(lib.model);
    this.unkId = conventions.unkToken === null ? undefined : lib.token_to_id(conventions.unkToken);
    this.around = insertedAround(json.post_processor);
    let max = -1;
    for (const id of lib.get_vocab(true).values()) max = Math.max(max, id);
    this.vocabSize = max + 1;
  }

  /** Loads tokenizer.json (and tokenizer_config.json when present) from a model folder. */
  static async fromFolder(dir: string): Promise<TextTokenizer> {
    const json = await readJson(path.join(dir, 'tokenizer.json'));
    if (json === undefined) {
      throw new EngineError('tokenizer-missing',
        `The model folder ${dir} has no tokenizer.json. Attention Lens needs the Hugging Face tokenizer file `
        + '(tokenizer.json) next to config.json to turn text into tokens.');
    }
    const config = await readJson(path.join(dir, 'tokenizer_config.json'));
    return TextTokenizer.fromJson(json, config ?? {}, path.join(dir, 'tokenizer.json'));
  }

  /** Builds a tokenizer from parsed tokenizer.json and tokenizer_config.json contents. */
  static fromJson(json: unknown, config: unknown = {}, source = 'tokenizer.json'): TextTokenizer {
    const invalid = (why: string, detail?: string): EngineError =>
      new EngineError('tokenizer-invalid', `The tokenizer in ${source} cannot be used: ${why}.`, detail);
    if (!isObject(json) || !isObject(json.model)) throw invalid('it has no "model" section');
    if (!isObject(config)) throw invalid('tokenizer_config.json is not a JSON object');
    try {
      const tokenizer = new TextTokenizer(new Tokenizer(json, config), json, config);
      tokenizer.encode('a');
      return tokenizer;
    } catch (err) {
      if (err instanceof EngineError) throw err;
      const message = err instanceof Error ? err.message : String(err);
      throw invalid(message.split('\n')[0], err instanceof Error ? err.stack : undefined);
    }
  }

  /** Tokens of `text` with special tokens, their UTF-16 ranges in `text`, and token type ids. */
  encode(text: string): { tokens: Token[]; typeIds: number[] } {
    const enc = this.lib.encode(text, { return_token_type_ids: true });
    const n = enc.tokens.length;
    const { before, after } = this.around;
    const pieces: Piece[] = enc.tokens.map((t, i) => {
      const j = i - (n - after.length);
      const inserted = (i < before.length && before[i] === t) || (j >= 0 && after[j] === t && n >= before.length + after.length);
      return { text: t, kind: inserted ? 'inserted' : this.added.has(t) ? 'added' : 'model' };
    });
    const offsets = alignPieces(text, pieces, this.conventions);
    const tokens = pieces.map((p, i): Token => {
      const [start, end] = offsets[i];
      // The unknown token is special only where it was typed, not where it replaced unknown text.
      const typed = enc.ids[i] !== this.unkId || text.slice(start, end).trim() === p.text.replace(/\u2581/g, ' ').trim();
      const special = p.kind === 'inserted' || (p.kind === 'added' && this.specialIds.has(enc.ids[i]) && typed);
      return { id: enc.ids[i], text: p.text, start, end, special };
    });
    const typeIds = enc.token_type_ids?.length === n ? enc.token_type_ids : new Array<number>(n).fill(0);
    return { tokens, typeIds };
  }

  /** How many special tokens the post-processor puts before and after a single text. */
  get inserted(): { before: number; after: number } {
    return { before: this.around.before.length, after: this.around.after.length };
  }

  /** The id of a vocabulary piece, if it has one. */
  tokenToId(piece: string): number | undefined {
    return this.lib.token_to_id(piece);
  }

  /** The text of ids as the model's decoder writes it, special tokens left out. */
  decode(ids: number[]): string {
    return this.lib.decode(ids, { skip_special_tokens: true });
  }

  /** Whether an id is one of the tokenizer's special tokens (end of sequence and the like). */
  isSpecial(id: number): boolean {
    return this.specialIds.has(id);
  }

  /** The vocabulary piece of an id, if the id exists. */
  idToToken(id: number): string | undefined {
    return this.lib.id_to_token(id);
  }
}
