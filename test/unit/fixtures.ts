// Shared locations for tests: the model fixtures beside the repository, and the built bundles.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');
export const MODELS_DIR = path.resolve(ROOT, '..', 'shared', 'models');
export const FIXTURES = ['tinystories-656k', 'stories260k', 'bert-tiny-random'] as const;
export const ENGINE = path.join(ROOT, 'dist', 'engine.js');
export const CLI = path.join(ROOT, 'dist', 'cli.js');

export interface GoldenPrompt {
  id: string;
  text: string;
  input_ids: number[];
  tokens: string[];
  offsets: [number, number][];
  attentions: number[][][][];
}

/** The prompts and reference attention of one fixture. */
export function golden(model: string): GoldenPrompt[] {
  return JSON.parse(readFileSync(path.join(MODELS_DIR, model, 'golden.json'), 'utf8')).prompts;
}

/** Largest absolute difference between golden [layer][head][q][k] and per-layer Float32 [heads][T][T]. */
export function maxAttentionDiff(expected: number[][][][], layers: Float32Array[], T: number): number {
  let worst = 0;
  if (layers.length !== expected.length) return Infinity;
  expected.forEach((layer, l) => {
    if (layers[l].length !== layer.length * T * T) worst = Infinity;
    layer.forEach((head, h) => head.forEach((row, q) => row.forEach((v, k) => {
      const d = Math.abs(v - layers[l][(h * T + q) * T + k]);
      if (Number.isNaN(d)) worst = Infinity;
      else if (d > worst) worst = d;
    })));
  });
  return worst;
}
