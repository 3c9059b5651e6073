// A faster merge lookup for the BPE model of @huggingface/tokenizers.
//
// The library ranks each candidate merge by building the JSON text of the pair
// (`JSON.stringify([left, right])`) and looking that string up in its `bpe_ranks` map. Tokenizers
// without a pre-tokenizer (SentencePiece-style BPE, as in the Llama family and the TinyStories
// models) hand the whole selection to BPE as one word, so this happens once per character and again
// after every merge: about half of the time spent tokenizing a paragraph. Here the same ranks are
// put in a two-level map (left piece → right piece → rank) and the model instance's lookup uses it.
// Only the lookup changes: the library still runs its own merge loop, and the ranks are taken from
// the very merge list the library built `bpe_ranks` from, with the same rule for a pair listed twice
// (the later entry wins), so the tokens are identical. Anything unexpected leaves the model as it is.
import { BPE } from '@huggingface/tokenizers';

interface MergeNode {
  token: string;
  next: MergeNode | null;
  bias: number;
  score?: number;
}

interface MergeQueue {
  push(...nodes: MergeNode[]): unknown;
}

/** The fields of the library's BPE model this relies on (public ones, and the private lookup it replaces). */
interface BpeInternals {
  merges?: unknown;
  bpe_ranks?: unknown;
  add_node?: unknown;
}

/**
 * Gives a tokenizer model the faster merge lookup when it is the library's BPE model in the shape
 * this was written for. Returns whether it did; any other model (WordPiece, Unigram) or shape is
 * left untouched.
 */
export function useFastMergeLookup(model: unknown): boolean {
  if (!(model instanceof BPE)) return false;
  const bpe = model as unknown as BpeInternals;
  if (!(bpe.bpe_ranks instanceof Map) || !Array.isArray(bpe.merges)) return false;
  if (typeof bpe.add_node !== 'function' || bpe.add_node.length !== 2) return false;

  const ranks = new Map<string, Map<string, number>>();
  let pairs = 0;
  for (let rank = 0; rank < bpe.merges.length; rank++) {
    const merge: unknown = bpe.merges[rank];
    if (!Array.isArray(merge) || merge.length !== 2 || typeof merge[0] !== 'string' || typeof merge[1] !== 'string') return false;
    let right = ranks.get(merge[0]);
    if (!right) ranks.set(merge[0], (right = new Map()));
    if (!right.has(merge[1])) pairs++;
    right.set(merge[1], rank); // a repeated pair takes its later rank, as the library's map does
  }
  // The library's own table must hold exactly these pairs, or it was built some other way.
  if (pairs !== bpe.bpe_ranks.size) return false;

  bpe.add_node = (queue: MergeQueue, node: MergeNode): void => {
    const rank = ranks.get(node.token)?.get(node.next!.token);
    if (rank !== undefined) {
      node.score = rank + node.bias;
      queue.push(node);
    }
  };
  return true;
}
