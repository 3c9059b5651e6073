// Builds the benchmark input: real text that tokenizes to at least T tokens, and the first T token ids.
// Both the raw session runs and the engine see the same ids: the engine cuts the same text to
// `maxTokens: T`, and the bench checks that its tokens match.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';

// Plain English prose, like what a user selects, so each tokenizer splits it the way it would in use.
const SENTENCES = [
  'Once upon a time, there was a little girl named Lily who loved to play in the park.',
  'Every morning she walked past the old bakery, where the baker waved and gave her a warm roll.',
  'One day she found a small blue bird with a hurt wing under a tall tree.',
  'She carried it home carefully and asked her mother how they could help it.',
  'Together they made a soft bed in a shoe box and fed the bird seeds and water.',
  'After many days the bird could flap its wings again, and Lily smiled from ear to ear.',
  'When spring came, they opened the window and watched it fly over the garden and the river.',
  'Lily learned that being kind and patient can make a big difference to someone small.',
];

/** The text to inspect and the exact token ids (and token type ids) of its first T tokens. */
export interface BenchInput {
  text: string;
  ids: number[];
  typeIds: number[];
  /** Tokens in the whole text (≥ T): the engine tokenizes all of it before cutting. */
  fullLength: number;
}

/** Loads a model folder's tokenizer the way Hugging Face tokenizers.js does. */
export function loadTokenizer(dir: string): Tokenizer {
  const read = (file: string): object => JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as object;
  return new Tokenizer(read('tokenizer.json'), read('tokenizer_config.json'));
}

/** The shortest run of whole sentences with at least T tokens (special tokens included). */
export function inputOfLength(tokenizer: Tokenizer, T: number): BenchInput {
  // Shortest, because the engine tokenizes the whole text before cutting it to T: a text much longer
  // than T would charge the pipeline for tokenizing words it never runs. Token counts grow with the
  // sentence count, so doubling then bisecting finds it in a dozen encodes.
  const length = (sentences: number): number => encode(tokenizer, textOf(sentences)).ids.length;
  let high = 1;
  while (length(high) < T) {
    high *= 2;
    if (high > 1 << 20) throw new Error(`the tokenizer never reached ${T} tokens`);
  }
  let low = high >> 1; // length(low) < T, or low = 0
  while (high - low > 1) {
    const mid = (low + high) >> 1;
    if (length(mid) >= T) high = mid;
    else low = mid;
  }
  const text = textOf(high);
  const encoded = encode(tokenizer, text);
  return { text, ids: encoded.ids.slice(0, T), typeIds: encoded.typeIds.slice(0, T), fullLength: encoded.ids.length };
}

function textOf(sentences: number): string {
  return Array.from({ length: sentences }, (_, i) => SENTENCES[i % SENTENCES.length]).join(' ');
}

function encode(tokenizer: Tokenizer, text: string): { ids: number[]; typeIds: number[] } {
  const out = tokenizer.encode(text, { return_token_type_ids: true });
  return { ids: out.ids, typeIds: out.token_type_ids };
}
