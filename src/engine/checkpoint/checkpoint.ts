import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { configProblem, invalidCheckpoint } from './failures';
import { SafetensorsFile, type StoredBytes, type TensorEntry } from './safetensors';

/** A stored tensor as a graph refers to it: its file (relative to the model folder) and bytes there. */
export interface StoredTensor extends StoredBytes {
  file: string;
  shape: number[];
}

const SINGLE = 'model.safetensors';
const INDEX = 'model.safetensors.index.json';

/** The weights file of a folder (the sharded index when there is one), or undefined when it has none. */
export function findCheckpoint(dir: string): string | undefined {
  for (const name of [INDEX, SINGLE]) {
    const file = path.join(dir, name);
    if (existsSync(file)) return file;
  }
  return undefined;
}

/** A folder's weights by parameter name, across shards, with the aliases torch writes for tied tensors. */
export class Checkpoint {
  private constructor(
    /** The model folder the shards lie in. */
    readonly dir: string,
    private readonly files: SafetensorsFile[],
    private readonly owner: Map<string, SafetensorsFile>,
    private readonly aliases: Map<string, string>,
  ) {}

  /** Opens `model.safetensors`, or every shard named by `model.safetensors.index.json`. */
  static async open(dir: string): Promise<Checkpoint> {
    const found = findCheckpoint(dir);
    if (!found) throw invalidCheckpoint(dir, `it has neither ${SINGLE} nor ${INDEX}`);
    const shardNames = found.endsWith(INDEX) ? readIndex(found) : [SINGLE];
    const files: SafetensorsFile[] = [];
    try {
      for (const shard of shardNames) {
        const file = path.join(dir, shard);
        if (!existsSync(file)) throw invalidCheckpoint(INDEX, `it names the shard ${shard}, which is missing`);
        files.push(await SafetensorsFile.open(file));
      }
    } catch (err) {
      await Promise.all(files.map((f) => f.close()));
      throw err;
    }
    const owner = new Map<string, SafetensorsFile>();
    const aliases = new Map<string, string>();
    for (const file of files) {
      for (const name of file.entries.keys()) owner.set(name, file);
      // torch's save_model drops all but one of a set of shared tensors and records `dropped: kept` in the metadata.
      for (const [name, target] of Object.entries(file.metadata)) {
        if (typeof target === 'string' && file.entries.has(target)) aliases.set(name, target);
      }
    }
    return new Checkpoint(path.resolve(dir), files, owner, aliases);
  }

  /** Whether the checkpoint holds a tensor of this name (directly or as a tied alias). */
  has(name: string): boolean {
    return this.owner.has(this.resolve(name));
  }

  /** The first of `prefixes` under which `probe` exists: checkpoints are saved with or without the base-model prefix. */
  prefix(prefixes: string[], probe: string): string | undefined {
    return prefixes.find((p) => this.has(p + probe));
  }

  /** Shape of a stored tensor. */
  shape(name: string): number[] {
    return this.entry(name).shape;
  }

  /** Reads a tensor as float32, checking its shape when one is expected. */
  async read(name: string, expected?: number[]): Promise<Float32Array> {
    const entry = this.entry(name);
    if (expected && (expected.length !== entry.shape.length || expected.some((d, i) => d !== entry.shape[i]))) {
      throw configProblem(
        `The checkpoint's ${name} has shape [${entry.shape.join(', ')}], but config.json implies [${expected.join(', ')}]. ` +
        'config.json and the weights come from different models.');
    }
    const key = this.resolve(name);
    return this.owner.get(key)!.readFloat32(key);
  }

  /** Where a tensor lies on disk, after checking its shape when one is expected; nothing is read. */
  locate(name: string, expected?: number[]): StoredTensor {
    const entry = this.entry(name);
    if (expected && (expected.length !== entry.shape.length || expected.some((d, i) => d !== entry.shape[i]))) {
      throw configProblem(
        `The checkpoint's ${name} has shape [${entry.shape.join(', ')}], but config.json implies [${expected.join(', ')}]. ` +
        'config.json and the weights come from different models.');
    }
    const key = this.resolve(name);
    const file = this.owner.get(key)!;
    return { ...file.locate(key), file: path.relative(this.dir, path.resolve(file.file)), shape: entry.shape };
  }

  /** Bytes the stored tensors take on disk. */
  storedBytes(): number {
    let total = 0;
    for (const file of this.files) for (const entry of file.entries.values()) total += entry.end - entry.begin;
    return total;
  }

  /** Reads a tensor if it exists. */
  async maybe(name: string, expected?: number[]): Promise<Float32Array | undefined> {
    return this.has(name) ? this.read(name, expected) : undefined;
  }

  /** Closes every shard. */
  async close(): Promise<void> {
    await Promise.all(this.files.map((f) => f.close()));
  }

  private resolve(name: string): string {
    return this.owner.has(name) ? name : (this.aliases.get(name) ?? name);
  }

  private entry(name: string): TensorEntry {
    const key = this.resolve(name);
    const file = this.owner.get(key);
    if (!file) {
      throw configProblem(`The checkpoint has no tensor named ${name}, which this architecture needs. ` +
        'The weights may be from a different model type than config.json says.');
    }
    return file.entries.get(key)!;
  }
}

function readIndex(file: string): string[] {
  let index: { weight_map?: unknown };
  try {
    index = JSON.parse(readFileSync(file, 'utf8')) as { weight_map?: unknown };
  } catch (err) {
    throw invalidCheckpoint(INDEX, `it is not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  const map = index?.weight_map;
  if (!map || typeof map !== 'object') throw invalidCheckpoint(INDEX, 'it has no weight_map');
  const shards = new Set(Object.values(map as Record<string, unknown>));
  if (shards.size === 0 || [...shards].some((s) => typeof s !== 'string' || s.includes('..') || path.isAbsolute(s))) {
    throw invalidCheckpoint(INDEX, 'its weight_map does not name shard files in this folder');
  }
  return [...shards] as string[];
}
