// One view's line to the attention data for one kind of request. A view asks for what it is about to
// draw and gets the reply when it is there, else undefined and a call back once it arrives. The last
// few replies are kept, because the pointer goes back and forth over the same tokens and cells. A
// request the view no longer wants (the pointer moved on, the window panned) is aborted when the next
// one is asked, and a reply that still comes for it, or for an inspection no longer shown, is dropped:
// a late reply must never paint over what the view shows now.
import type { AttentionData } from '../../src/attention/localAttention';
import type { AttentionReply, AttentionRequest } from '../../src/protocol';

export interface ReplySlotOptions {
  /** How many replies to keep. */
  keep?: number;
  /**
   * Whether requests run side by side (the model view asks for each batch of new layers) rather than
   * each superseding the one before.
   */
  concurrent?: boolean;
}

export class ReplySlot {
  private data: AttentionData | undefined;
  private readonly replies = new Map<string, AttentionReply>();
  private readonly asking = new Map<string, AbortController>();
  private readonly failed = new Map<string, string>();
  private readonly keep: number;
  private readonly concurrent: boolean;

  /** `arrived` is called with each reply kept, after it is kept. */
  constructor(private readonly arrived: (reply: AttentionReply, request: AttentionRequest) => void, options: ReplySlotOptions = {}) {
    this.keep = options.keep ?? 4;
    this.concurrent = options.concurrent ?? false;
  }

  /** A new inspection (or none): forgets every reply and abandons the requests in flight. */
  reset(data: AttentionData | undefined): void {
    this.abandon();
    this.data = data;
    this.replies.clear();
    this.failed.clear();
  }

  /** Aborts the requests in flight; their replies will be dropped. */
  abandon(): void {
    for (const controller of this.asking.values()) controller.abort();
    this.asking.clear();
  }

  /** The reply to `request` if it has arrived; otherwise asks for it (once) and returns undefined. */
  get(request: AttentionRequest): AttentionReply | undefined {
    const key = keyOf(request);
    const reply = this.replies.get(key);
    if (reply) {
      // Map order is insertion order: re-inserting keeps recently used replies at the end.
      this.replies.delete(key);
      this.replies.set(key, reply);
      return reply;
    }
    if (this.asking.has(key) || this.failed.has(key) || !this.data) return undefined;
    if (!this.concurrent) this.abandon();
    this.ask(this.data, key, request);
    return undefined;
  }

  /** Whether `request` has been asked and its reply has not arrived yet. */
  waiting(request: AttentionRequest): boolean {
    return this.asking.has(keyOf(request));
  }

  /** Why `request` failed, when it did (it is not asked again until the next inspection). */
  failure(request: AttentionRequest): string | undefined {
    return this.failed.get(keyOf(request));
  }

  private ask(data: AttentionData, key: string, request: AttentionRequest): void {
    const controller = new AbortController();
    this.asking.set(key, controller);
    const current = () => !controller.signal.aborted && this.data === data && this.asking.get(key) === controller;
    data.request(request, controller.signal).then(
      (reply) => {
        if (!current()) return;
        this.asking.delete(key);
        this.replies.set(key, reply);
        if (this.replies.size > this.keep) this.replies.delete(this.replies.keys().next().value!);
        this.arrived(reply, request);
      },
      (error: unknown) => {
        if (!current()) return;
        this.asking.delete(key);
        const message = error instanceof Error ? error.message : String(error);
        this.failed.set(key, message);
        console.error(`attention lens: the ${request.type} request failed`, error);
      },
    );
  }
}

/** Requests are plain data built the same way each time, so their JSON names them. */
function keyOf(request: AttentionRequest): string {
  return JSON.stringify(request);
}
