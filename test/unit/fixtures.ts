// Shared locations for tests: the model fixtures beside the repository, and the built bundles.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { EngineClient, InspectionHandlers } from '../../src/engine/client';
import type { InspectOptions } from '../../src/protocol';

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

let nextInspection = 1;

/**
 * Runs an inspection through the engine process and reads its attention back from the engine's
 * store, head by head and unpooled, as per-layer Float32 [heads][T][T].
 */
export async function inspectWithLayers(client: EngineClient, options: InspectOptions, handlers?: InspectionHandlers) {
  const inspection = nextInspection++;
  const result = await client.inspect({ ...options, inspection }, handlers);
  return { ...result, inspection, layers: await storedLayers(client, inspection, result.started.model.layers, result.started.model.heads, result.started.tokens.length) };
}

/** Inspection `inspection`'s layers as the engine's store answers them. */
export async function storedLayers(client: EngineClient, inspection: number, layers: number, heads: number, T: number): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (let layer = 0; layer < layers; layer++) {
    const data = new Float32Array(heads * T * T);
    for (let head = 0; head < heads; head++) {
      const reply = await client.view(inspection, { type: 'matrix', choice: { layer, aggregation: 'head', head, hideSpecial: false }, cells: T });
      if (reply.type !== 'matrix' || reply.pooled || reply.rows !== T || reply.cols !== T) throw new Error(`layer ${layer} head ${head}: not a T×T matrix`);
      data.set(new Float32Array(reply.values), head * T * T);
    }
    out.push(data);
  }
  return out;
}
