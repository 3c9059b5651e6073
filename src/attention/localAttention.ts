// Attention held in memory where every layer is at hand (the standalone HTML report, the notebook
// renderer): the same requests the engine's store answers, so a view codes against AttentionData
// and does not care where the attention lives.
import type { AttentionReply, AttentionRequest } from '../protocol';
import { checkLayerShape } from './aggregate';
import { AttentionViews, type AttentionShape } from './views';

/** Where a view gets what it shows: answers a request once the layers it reads are there. */
export interface AttentionData {
  request(request: AttentionRequest, signal?: AbortSignal): Promise<AttentionReply>;
}

interface Waiter {
  needs: number[];
  wake(): void;
}

/** AttentionData over layers added in memory as they arrive; a request waits for the layers it reads. */
export class LocalAttention implements AttentionData {
  private readonly layers: (Float32Array | undefined)[];
  private readonly views: AttentionViews;
  private readonly waiters = new Set<Waiter>();

  constructor(readonly shape: AttentionShape) {
    this.layers = new Array<Float32Array | undefined>(shape.layers).fill(undefined);
    this.views = new AttentionViews(shape, (l) => {
      const data = this.layers[l];
      if (!data) throw new RangeError(`layer ${l} has not arrived`);
      return data;
    });
  }

  /** Stores layer `layer` as Float32 [heads][T][T] and answers the requests that waited for it. */
  addLayer(layer: number, data: Float32Array): void {
    if (!Number.isInteger(layer) || layer < 0 || layer >= this.layers.length) {
      throw new RangeError(`layer ${layer} is outside 0..${this.layers.length - 1}`);
    }
    checkLayerShape(data, this.shape.heads, this.shape.T);
    // A layer sent again (an inspection rerun into the same view) invalidates what came from the old one.
    if (this.layers[layer]) this.views.clear();
    this.layers[layer] = data;
    for (const waiter of [...this.waiters]) if (this.has(waiter.needs)) waiter.wake();
  }

  /** The reply to `request` once every layer it reads has arrived; rejects with the signal's reason on abort. */
  async request(request: AttentionRequest, signal?: AbortSignal): Promise<AttentionReply> {
    signal?.throwIfAborted();
    const needs = this.views.needs(request);
    if (!this.has(needs)) await this.arrival(needs, signal);
    return this.views.answer(request);
  }

  private has(layers: readonly number[]): boolean {
    return layers.every((l) => this.layers[l] !== undefined);
  }

  private arrival(needs: number[], signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        this.waiters.delete(waiter);
        reject(signal!.reason);
      };
      const waiter: Waiter = {
        needs,
        wake: () => {
          this.waiters.delete(waiter);
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      this.waiters.add(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
