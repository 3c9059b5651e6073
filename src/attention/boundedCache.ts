// A least-recently-used cache bounded by both entry count and bytes: the views' aggregates and
// rollout matrices are T² floats each (64 MiB at 4096 tokens), so counting entries alone could
// hold gigabytes, while rows are small and many.

/** Something whose memory the cache can weigh. */
export interface Sized {
  readonly byteLength: number;
}

/** Keeps the most recently used values within `maxEntries` and `maxBytes`, always the newest one. */
export class BoundedCache<V extends Sized> {
  private readonly entries = new Map<string, V>();
  private bytes = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly maxBytes = Number.POSITIVE_INFINITY,
  ) {}

  /** The value under `key`, now the most recently used, or undefined. */
  get(key: string): V | undefined {
    const value = this.entries.get(key);
    if (value === undefined) return undefined;
    // Map order is insertion order: re-inserting keeps the least recently used first.
    this.entries.delete(key);
    this.entries.set(key, value);
    return value;
  }

  /** Stores `value`, dropping the least recently used entries past the bounds. */
  set(key: string, value: V): V {
    this.delete(key);
    this.entries.set(key, value);
    this.bytes += value.byteLength;
    for (const [oldest, old] of this.entries) {
      if (this.entries.size <= 1 || (this.entries.size <= this.maxEntries && this.bytes <= this.maxBytes)) break;
      this.entries.delete(oldest);
      this.bytes -= old.byteLength;
    }
    return value;
  }

  /** Drops every entry whose key satisfies `drop`. */
  deleteWhere(drop: (key: string) => boolean): void {
    for (const key of [...this.entries.keys()]) if (drop(key)) this.delete(key);
  }

  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }

  private delete(key: string): void {
    const old = this.entries.get(key);
    if (old === undefined) return;
    this.entries.delete(key);
    this.bytes -= old.byteLength;
  }
}
