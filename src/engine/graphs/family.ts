import type { Checkpoint } from '../checkpoint/checkpoint';
import { configProblem } from '../checkpoint/failures';
import type { Weight } from './layers';

/** config.json as parsed: each family reads the fields it knows. */
export type Config = Record<string, unknown>;

/** Builds an ONNX graph for one family from its checkpoint and config. */
export type FamilyBuilder = (checkpoint: Checkpoint, config: Config) => Promise<Uint8Array>;

/** A positive integer field of config.json, or `fallback` when absent. */
export function intField(config: Config, key: string, fallback?: number): number {
  const value = config[key] ?? fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw configProblem(`config.json needs a positive integer "${key}" to build this model's graph.`,
      `${key}: ${JSON.stringify(config[key])}`);
  }
  return value;
}

/** A numeric field of config.json, or `fallback` when absent. */
export function numberField(config: Config, key: string, fallback: number): number {
  const value = config[key] ?? fallback;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw configProblem(`config.json's "${key}" must be a number.`, `${key}: ${JSON.stringify(config[key])}`);
  }
  return value;
}

/** Heads must split the hidden size (or the stated head_dim) evenly, and KV heads must divide query heads. */
export function checkHeads(modelType: string, heads: number, kvHeads: number, headDim: number): void {
  if (heads % kvHeads !== 0 || headDim % 2 !== 0) {
    throw configProblem(`config.json describes ${heads} attention heads over ${kvHeads} key/value heads of size ${headDim}, ` +
      `which a ${modelType} model cannot have.`);
  }
}

/** Reads parameters under one prefix, with their shapes, for the graph builders. */
export class WeightReader {
  constructor(private readonly checkpoint: Checkpoint, private readonly prefix: string) {}

  /** A required parameter; `expected` checks its shape. The graph names it as HF does, without the prefix. */
  async get(name: string, expected?: number[]): Promise<Weight> {
    const full = this.prefix + name;
    const stored = this.checkpoint.locate(full, expected);
    return { name, shape: stored.shape, stored };
  }

  /** An optional parameter (biases, tied heads). */
  async maybe(name: string, expected?: number[]): Promise<Weight | undefined> {
    return this.checkpoint.has(this.prefix + name) ? this.get(name, expected) : undefined;
  }

  /** The first of `names` that exists (old BERT conversions say gamma/beta for LayerNorm weight/bias). */
  async first(names: string[], expected?: number[]): Promise<Weight> {
    const found = names.find((n) => this.checkpoint.has(this.prefix + n)) ?? names[0];
    return this.get(found, expected);
  }
}
