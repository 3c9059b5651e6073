// The keys a query attends to most: what the hover and the token strip list for one query row.

import { isSelected, type TokenSelection } from './normalize';

// Above this k, sorting the whole row beats keeping a sorted buffer of the best k.
const INSERTION_LIMIT = 64;

/** One key of a query row and the attention weight it receives. */
export interface KeyWeight {
  index: number;
  weight: number;
}

/** The k heaviest keys of a row, heaviest first, ties by lower index; NaN and excluded keys are skipped. */
export function topK(row: Float32Array, k: number, exclude?: TokenSelection): KeyWeight[] {
  const wanted = Math.min(Math.floor(k), row.length);
  if (!(wanted > 0)) return [];
  if (wanted > INSERTION_LIMIT) return sortedKeys(row, exclude).slice(0, wanted);
  // A sorted buffer of the best `wanted` keys so far: O(T·k) for the small k a hover shows,
  // without sorting the whole row. Scanning in index order and inserting only on a strictly
  // greater weight is what keeps ties ordered by lower index.
  const best: KeyWeight[] = [];
  for (let index = 0; index < row.length; index++) {
    const weight = row[index];
    if (Number.isNaN(weight)) continue;
    if (exclude !== undefined && isSelected(exclude, index)) continue;
    if (best.length === wanted && !(weight > best[wanted - 1].weight)) continue;
    let at = best.length === wanted ? wanted - 1 : best.length;
    while (at > 0 && weight > best[at - 1].weight) {
      best[at] = best[at - 1];
      at--;
    }
    best[at] = { index, weight };
  }
  return best;
}

function sortedKeys(row: Float32Array, exclude?: TokenSelection): KeyWeight[] {
  const keys: KeyWeight[] = [];
  for (let index = 0; index < row.length; index++) {
    const weight = row[index];
    if (Number.isNaN(weight)) continue;
    if (exclude !== undefined && isSelected(exclude, index)) continue;
    keys.push({ index, weight });
  }
  return keys.sort((a, b) => b.weight - a.weight || a.index - b.index);
}
