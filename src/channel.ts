// One typed request/reply channel for every pair of message ends in the product: extension host ↔
// engine process, extension host ↔ webview, bench ↔ its worker.
// A request carries an id; the other end answers with events (streamed partial results, such as one
// layer of attention) and then exactly one reply or error. Either side may cancel a request it sent.
// Binary payloads travel as ArrayBuffers in the transfer list, never as JSON of numbers.
//
// The channel knows nothing about the transport: a `Port` is whatever can post a structured-cloneable
// message and deliver the other end's messages (a worker, a child process with advanced
// serialisation, a webview, a MessagePort).

/** What a channel needs of a transport. */
export interface Port {
  /** Sends one message; `transfer` lists ArrayBuffers to move rather than copy where the transport can. */
  post(message: unknown, transfer: ArrayBuffer[]): void;
  /** Delivers every message from the other end to `listener`; returns a function that stops it. */
  listen(listener: (message: unknown) => void): () => void;
}

/**
 * The calls one end answers: for each method, its params, its result, and the events it streams
 * before the result (`never` when it streams none).
 */
export type Api = Record<string, { params: unknown; result: unknown; event?: unknown }>;

type EventOf<A extends Api, M extends keyof A> = A[M] extends { event: infer E } ? E : never;

/** An error that crosses the channel: a machine-readable code, a sentence for people, detail for logs. */
export class ChannelError extends Error {
  constructor(readonly code: string, message: string, readonly detail?: string) {
    super(message);
    this.name = 'ChannelError';
  }
}

/** What a handler gets besides its params. */
export interface RequestContext<E> {
  /** Aborted when the requester cancels or the channel closes. */
  readonly signal: AbortSignal;
  /** Streams one event to the requester before the reply. */
  emit(event: E, transfer?: ArrayBuffer[]): void;
}

/** A handler's result, with the buffers to transfer alongside it. */
export class Transfer<T> {
  constructor(readonly value: T, readonly buffers: ArrayBuffer[]) {}
}

/** The handlers of the methods one end answers. */
export type Handlers<A extends Api> = {
  [M in keyof A]: (params: A[M]['params'], context: RequestContext<EventOf<A, M>>) =>
    A[M]['result'] | Transfer<A[M]['result']> | Promise<A[M]['result'] | Transfer<A[M]['result']>>;
};

/** Options of one request. */
export interface RequestOptions<E> {
  /** Called with each event the other end streams before its reply. */
  onEvent?(event: E): void;
  /** Cancels the request: the other end's signal aborts and the promise rejects with code 'cancelled'. */
  signal?: AbortSignal;
  transfer?: ArrayBuffer[];
}

type Envelope =
  | { channel: 'request'; id: number; method: string; params: unknown }
  | { channel: 'event'; inReplyTo: number; event: unknown }
  | { channel: 'reply'; inReplyTo: number; result: unknown }
  | { channel: 'error'; inReplyTo: number; code: string; message: string; detail?: string }
  | { channel: 'cancel'; id: number };

interface Pending {
  onEvent?(event: unknown): void;
  resolve(result: unknown): void;
  reject(error: ChannelError): void;
  stopCancel(): void;
}

function isEnvelope(message: unknown): message is Envelope {
  return typeof message === 'object' && message !== null && typeof (message as { channel?: unknown }).channel === 'string';
}

/**
 * One end of a channel: sends requests of `Remote` (what the other end answers) and answers
 * requests of `Local` with `handlers`.
 */
export class Channel<Remote extends Api, Local extends Api = Record<never, never>> {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly running = new Map<number, AbortController>();
  private readonly stopListening: () => void;
  private closedWith: ChannelError | undefined;

  constructor(private readonly port: Port, private readonly handlers: Partial<Handlers<Local>> = {}) {
    this.stopListening = port.listen((message) => this.receive(message));
  }

  /** Sends a request and resolves with its reply; rejects with a ChannelError. */
  request<M extends keyof Remote & string>(
    method: M, params: Remote[M]['params'], options: RequestOptions<EventOf<Remote, M>> = {},
  ): Promise<Remote[M]['result']> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        if (!this.pending.delete(id)) return;
        this.send({ channel: 'cancel', id });
        reject(new ChannelError('cancelled', 'The request was cancelled.'));
      };
      if (options.signal?.aborted) return reject(new ChannelError('cancelled', 'The request was cancelled.'));
      options.signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, {
        onEvent: options.onEvent as ((event: unknown) => void) | undefined,
        resolve: resolve as (result: unknown) => void,
        reject,
        stopCancel: () => options.signal?.removeEventListener('abort', onAbort),
      });
      this.send({ channel: 'request', id, method, params }, options.transfer);
    });
  }

  /**
   * Ends the channel: requests in flight on both sides fail with `reason` (for example the other end
   * having exited), and later requests are refused with it.
   */
  close(reason = new ChannelError('closed', 'The channel was closed.')): void {
    if (this.closedWith) return;
    this.closedWith = reason;
    this.stopListening();
    for (const [id, pending] of this.pending) {
      this.pending.delete(id);
      pending.stopCancel();
      pending.reject(reason);
    }
    for (const controller of this.running.values()) controller.abort();
    this.running.clear();
  }

  /** How many of this end's requests await a reply. */
  get inFlight(): number {
    return this.pending.size;
  }

  private send(envelope: Envelope, transfer: ArrayBuffer[] = []): void {
    if (this.closedWith) return;
    this.port.post(envelope, transfer);
  }

  private receive(message: unknown): void {
    if (!isEnvelope(message)) return;
    switch (message.channel) {
      case 'request':
        void this.answer(message.id, message.method, message.params);
        break;
      case 'cancel':
        this.running.get(message.id)?.abort();
        break;
      case 'event':
        this.pending.get(message.inReplyTo)?.onEvent?.(message.event);
        break;
      case 'reply':
      case 'error': {
        const pending = this.pending.get(message.inReplyTo);
        if (!pending) return; // cancelled here already: the late answer has nowhere to go
        this.pending.delete(message.inReplyTo);
        pending.stopCancel();
        if (message.channel === 'reply') pending.resolve(message.result);
        else pending.reject(new ChannelError(message.code, message.message, message.detail));
        break;
      }
    }
  }

  private async answer(id: number, method: string, params: unknown): Promise<void> {
    const handler = this.handlers[method as keyof Local] as
      | ((params: unknown, context: RequestContext<unknown>) => unknown)
      | undefined;
    if (!handler) {
      this.send({ channel: 'error', inReplyTo: id, code: 'unknown-method', message: `Nothing here answers "${method}".` });
      return;
    }
    const controller = new AbortController();
    this.running.set(id, controller);
    const context: RequestContext<unknown> = {
      signal: controller.signal,
      emit: (event, transfer) => {
        if (!controller.signal.aborted) this.send({ channel: 'event', inReplyTo: id, event }, transfer);
      },
    };
    try {
      const outcome = await handler(params, context);
      if (controller.signal.aborted) return;
      if (outcome instanceof Transfer) this.send({ channel: 'reply', inReplyTo: id, result: outcome.value }, outcome.buffers);
      else this.send({ channel: 'reply', inReplyTo: id, result: outcome });
    } catch (err) {
      if (controller.signal.aborted) return;
      const e = err instanceof ChannelError ? err : undefined;
      const error = err as { code?: unknown; message?: unknown; detail?: unknown; stack?: unknown };
      this.send({
        channel: 'error', inReplyTo: id,
        code: e?.code ?? (typeof error?.code === 'string' ? error.code : 'failed'),
        message: typeof error?.message === 'string' ? error.message : String(err),
        detail: e?.detail ?? (typeof error?.detail === 'string' ? error.detail : typeof error?.stack === 'string' ? error.stack : undefined),
      });
    } finally {
      this.running.delete(id);
    }
  }
}
