// The tokens that end a continuation. generation_config.json is where Hugging Face keeps what
// `generate` uses, and it may list several (chat models end a turn with one, a text with another);
// older folders say it only in config.json.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

/** The end-of-sequence ids of the model in `dir`: generation_config.json's, else config.json's; may be empty. */
export function endOfSequenceIds(dir: string): Set<number> {
  for (const file of ['generation_config.json', 'config.json']) {
    const ids = idsIn(path.join(dir, file));
    if (ids) return new Set(ids);
  }
  return new Set();
}

// eos_token_id as a number or a list of numbers; undefined when the file or the field is absent.
function idsIn(file: string): number[] | undefined {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
  const value = (json as { eos_token_id?: unknown } | null)?.eos_token_id;
  const ids = (Array.isArray(value) ? value : [value]).filter((v): v is number => Number.isInteger(v));
  return ids.length > 0 ? ids : undefined;
}
