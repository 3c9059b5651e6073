// Watch it write: a causal model continues a text a token at a time, and each new token comes with
// its attention over everything before it and the candidates it was chosen among.
//
// Step s chooses token s from the logits of the run that fed token s − 1 (the prompt, for s = 0),
// and the run that feeds token s gives its own attention row: the row of its position, over every
// position up to and including its own, exactly the row an inspection of the whole sequence has
// there. So a continuation of N tokens takes the prompt's run and N one-token runs; the last run's
// logits go unused.
import type { GeneratedToken, Token, TokenCandidate } from '../../protocol';
import type { AttentionModel } from '../attentionModel';
import { modelContext } from '../context';
import { EngineError } from '../errors';
import type { AttentionRows } from './attentionRows';
import { Continuation } from './continuation';
import { chooseToken, isSampling, mostLikely, type Sampling } from './sampling';
import { freshSeed, seededRandom } from './seededRandom';
import { endOfSequenceIds } from './stopTokens';

/** New tokens written when the caller does not say. */
export const DEFAULT_MAX_NEW_TOKENS = 32;
/** Candidates kept per step. */
export const CANDIDATES = 5;

/** How to continue a text: how far, and how each token is chosen (greedy unless a temperature is given). */
export interface GenerateOptions extends Sampling {
  /** New tokens at most (default 32). */
  maxNewTokens?: number;
  /** Seeds the draws when sampling; a fresh seed is chosen (and returned) when absent. */
  seed?: number;
}

/** One new token: where it is in the text, what it was chosen among, and what it attends to. */
export interface GenerationStep extends GeneratedToken {
  /** Its own probability (softmax of the logits), also when it is not among `topk`. */
  p: number;
  /** Whether it is a special token (the end of the sequence); its range is then empty. */
  special: boolean;
  /** The text it adds to the continuation, as decoded (empty for a byte piece that ends inside a character). */
  added: string;
  /** Its position in the sequence: the prompt's length plus `step`. */
  position: number;
  /** Per layer, [heads][position + 1]: its attention over every position up to its own. */
  attention: Float32Array[];
}

/** Why a continuation ended. */
export type StopReason = 'end-of-sequence' | 'limit' | 'context';

/** A finished continuation and the prompt's own attention. */
export interface Generation {
  /** The prompt's tokens, ranges in `text`. */
  prompt: Token[];
  /** The prompt followed by the continuation: what every token's range points into. */
  text: string;
  /** What the model wrote. */
  continuation: string;
  /** The prompt's attention as its run gave it: runs of rows that together cover its T tokens. */
  promptRows: AttentionRows[];
  steps: GenerationStep[];
  stopped: StopReason;
  /** The seed the draws used; absent when greedy. */
  seed?: number;
  /** Whether tokens were decoded from the model's KV cache (else each ran the whole sequence again). */
  cached: boolean;
}

/** What a caller hears of a continuation besides its steps. */
export interface GenerationHooks {
  /** The prompt's tokens, before its run; the whole sequence will be at most `longest` tokens. */
  onPrompt?(prompt: Token[], longest: number): void;
  /** The prompt's attention, a run of rows at a time, in order (the buffers are the caller's to keep). */
  onPromptRows?(rows: AttentionRows): void;
}

/**
 * Continues `text` with `model`, calling `onStep` as each token is written (the next token waits for
 * a promise it returns); `signal` stops it between tokens. `hooks` hear the prompt's tokens before
 * its run and its attention as it is computed.
 */
export async function generate(model: AttentionModel, text: string, options: GenerateOptions = {},
  onStep?: (step: GenerationStep) => void | Promise<void>, signal?: AbortSignal, hooks: GenerationHooks = {}): Promise<Generation> {
  if (!model.info.causal) {
    throw new EngineError('not-generative',
      `${model.info.id} is an encoder: it reads the whole text at once in both directions and cannot write a continuation. ` +
      'Generation needs a causal language model (GPT-2, Llama and the like).');
  }
  const limit = modelContext(model.folder.config) ?? Infinity;
  const { tokens: prompt } = model.encode(text, Number.MAX_SAFE_INTEGER);
  if (prompt.length >= limit) {
    throw new EngineError('text-too-long',
      `The text has ${prompt.length} tokens, and ${model.info.id} reads at most ${limit}: shorten it to leave room for the continuation.`);
  }
  const decoder = await model.decoder();
  const seed = isSampling(options) ? (options.seed ?? freshSeed()) >>> 0 : undefined;
  const random = seededRandom(seed ?? 0);
  const stop = endOfSequenceIds(model.folder.dir);
  const maxNew = options.maxNewTokens ?? DEFAULT_MAX_NEW_TOKENS;
  const written = new Continuation(model.tokenizer, text, prompt.map((t) => t.id));
  stopIfAsked(signal);
  hooks.onPrompt?.(prompt, Math.min(limit, prompt.length + maxNew));
  const promptRows: AttentionRows[] = [];
  let { last, state } = await decoder.prefill(prompt.map((t) => t.id), (rows) => {
    promptRows.push(rows);
    hooks.onPromptRows?.(rows);
  });
  const steps: GenerationStep[] = [];
  let stopped: StopReason = 'limit';
  for (let step = 0; step < maxNew; step++) {
    stopIfAsked(signal);
    // What the report shows is at temperature 1, whatever the draw used; greedy takes the likeliest
    // (the argmax of the logits, but for two whose float32 probabilities tie).
    const likely = mostLikely(last.probabilities, CANDIDATES);
    const id = isSampling(options) ? chooseToken(last.logits, options, random) : likely[0].id;
    const topk = likely.map((c): TokenCandidate => ({ id: c.id, text: piece(model, c.id), p: c.p }));
    const next = await decoder.extend(state, id);
    const range = written.add(id);
    const done: GenerationStep = {
      step, id, text: piece(model, id), ...range, special: model.tokenizer.isSpecial(id), p: last.probabilities[id],
      added: written.text.slice(range.start, range.end), topk, position: prompt.length + step, attention: next.last.rows,
    };
    steps.push(done);
    const heard = onStep?.(done);
    if (heard) await heard;
    ({ last, state } = next);
    if (stop.has(id)) {
      stopped = 'end-of-sequence';
      break;
    }
    if (done.position + 1 >= limit) {
      stopped = 'context';
      break;
    }
  }
  return {
    prompt, text: written.text, continuation: written.added, promptRows,
    steps, stopped, seed, cached: decoder.cached,
  };
}

function piece(model: AttentionModel, id: number): string {
  return model.tokenizer.idToToken(id) ?? '';
}

function stopIfAsked(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new EngineError('cancelled', 'The generation was stopped.');
}
