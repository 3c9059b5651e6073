// Which tokens an inspection runs: the whole text when it fits the window size, else one window of
// it (src/engine/windows.ts) or, when no window was asked for, its first tokens with a warning.
import type { InspectOptions, TextWindow } from '../protocol';
import type { AttentionModel, EncodedText } from './attentionModel';
import { modelContext, windowTokens } from './context';
import { EngineError } from './errors';
import { insertedCounts, planWindows, windowInput } from './windows';

/** The warning an inspection carries when the text was cut to `kept` tokens. */
export function truncationWarning(total: number, kept: number): string {
  return `The text has ${total} tokens; only the first ${kept} were inspected.`;
}

/** What the model runs for a request, and what the inspection says about it. */
export interface InspectedInput {
  encoded: EncodedText;
  warnings: string[];
  /** The window run, when the request named one. */
  window?: TextWindow;
}

// The last text each model tokenized: stepping through the windows of a long text tokenizes it once
// (100 000 characters take seconds), not once per window.
const lastTokenized = new WeakMap<AttentionModel, { text: string; whole: EncodedText }>();

function tokenized(model: AttentionModel, text: string): EncodedText {
  const last = lastTokenized.get(model);
  if (last?.text === text) return last.whole;
  const whole = model.encode(text, Infinity);
  lastTokenized.set(model, { text, whole });
  return whole;
}

/** Tokenizes the request's text (once for a run of windows) and picks the tokens to run: a window, or the first maxTokens. */
export function inspectedInput(model: AttentionModel, request: InspectOptions): InspectedInput {
  const size = windowTokens(request.maxTokens, modelContext(model.folder.config), model.provider, model.info);
  const whole = tokenized(model, request.text);
  if (request.window === undefined) {
    if (whole.tokens.length <= size) return { encoded: whole, warnings: [] };
    const encoded = { tokens: whole.tokens.slice(0, size), typeIds: whole.typeIds.slice(0, size), truncatedFrom: whole.tokens.length };
    return { encoded, warnings: [truncationWarning(whole.tokens.length, size)] };
  }
  const inserted = insertedCounts(whole.tokens, model.tokenizer.inserted);
  const windows = planWindows(whole, inserted, size);
  const window = windows[request.window];
  if (!window || !Number.isInteger(request.window)) {
    throw new EngineError('no-such-window',
      `The text has ${windows.length} window${windows.length === 1 ? '' : 's'} of ${size} tokens; there is no window ${request.window + 1}.`);
  }
  return { encoded: windowInput(whole, inserted, window), warnings: [], window };
}
