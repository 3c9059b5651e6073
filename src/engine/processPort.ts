// A channel port over a child process's IPC pipe, from either end. Advanced serialisation carries
// ArrayBuffers as binary, but a receiver deserialises each message whole on its main thread: one
// 12 MB layer would hold the extension host for tens of milliseconds. So the buffers a message
// transfers go ahead of it in slices of CHUNK_BYTES, which the receiver copies into place one
// event-loop turn at a time, and the message follows with each buffer replaced by its number.
import type { Serializable } from 'node:child_process';
import type { Port } from '../channel';

/** Either end of the pipe: a ChildProcess in the parent, `process` in the child. */
export interface IpcEnd {
  readonly connected: boolean;
  send(message: Serializable, callback?: (error: Error | null) => void): boolean;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  off(event: 'message', listener: (message: unknown) => void): unknown;
}

export const CHUNK_BYTES = 1 << 20;

type Slice = { slice: number; size: number; offset: number; bytes: Uint8Array };
type Assembled = { assembled: unknown };
type BufferRef = { slicedBuffer: number };

function isSlice(m: unknown): m is Slice {
  return typeof m === 'object' && m !== null && typeof (m as Slice).slice === 'number' && (m as Slice).bytes instanceof Uint8Array;
}

function isAssembled(m: unknown): m is Assembled {
  return typeof m === 'object' && m !== null && 'assembled' in m;
}

/** Copies `value` with every ArrayBuffer in `ids` replaced by { slicedBuffer: id } (plain objects and arrays only). */
function withRefs(value: unknown, ids: Map<ArrayBuffer, number>): unknown {
  if (value instanceof ArrayBuffer) return ids.has(value) ? { slicedBuffer: ids.get(value)! } satisfies BufferRef : value;
  if (Array.isArray(value)) return value.map((v) => withRefs(v, ids));
  if (typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withRefs(v, ids)]));
  }
  return value;
}

/** Undoes withRefs with the buffers received. */
function withBuffers(value: unknown, take: (id: number) => ArrayBuffer): unknown {
  if (Array.isArray(value)) return value.map((v) => withBuffers(v, take));
  if (typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === 'slicedBuffer' && typeof (value as BufferRef).slicedBuffer === 'number') return take((value as BufferRef).slicedBuffer);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withBuffers(v, take)]));
  }
  return value;
}

/** A process port that also says when what it posted has been written to the pipe. */
export interface ProcessPort extends Port {
  /**
   * Resolves once every message posted so far has been written to the pipe. A message larger than
   * the pipe's buffer is written as the other end reads it, and only while this thread's event loop
   * turns: long synchronous work started before then holds the rest of it back.
   */
  drained(): Promise<void>;
}

/** The port of one end of a child process's IPC pipe (forked with serialization: 'advanced'). */
export function processPort(end: IpcEnd): ProcessPort {
  let nextId = 1;
  const receiving = new Map<number, Uint8Array>();
  let unwritten = 0;
  let waiting: (() => void)[] = [];
  const written = (): void => {
    if (--unwritten > 0) return;
    const wake = waiting;
    waiting = [];
    for (const resolve of wake) resolve();
  };
  const send = (message: unknown): void => {
    unwritten++;
    // `written` is called once the message is written, or with the error when the pipe closed first.
    end.send(message as Serializable, written);
  };
  return {
    drained: () => (unwritten === 0 ? Promise.resolve() : new Promise<void>((resolve) => waiting.push(resolve))),
    post(message, transfer) {
      if (!end.connected) return;
      const large = transfer.filter((b) => b.byteLength > CHUNK_BYTES);
      if (large.length === 0) {
        send(message);
        return;
      }
      const ids = new Map<ArrayBuffer, number>();
      for (const buffer of large) {
        const id = nextId++;
        ids.set(buffer, id);
        for (let offset = 0; offset < buffer.byteLength; offset += CHUNK_BYTES) {
          const bytes = new Uint8Array(buffer, offset, Math.min(CHUNK_BYTES, buffer.byteLength - offset));
          send({ slice: id, size: buffer.byteLength, offset, bytes } satisfies Slice);
        }
      }
      send({ assembled: withRefs(message, ids) });
    },
    listen(listener) {
      const onMessage = (message: unknown): void => {
        if (isSlice(message)) {
          let target = receiving.get(message.slice);
          if (!target) receiving.set(message.slice, (target = new Uint8Array(message.size)));
          target.set(message.bytes, message.offset);
        } else if (isAssembled(message)) {
          listener(withBuffers(message.assembled, (id) => {
            const buffer = receiving.get(id);
            receiving.delete(id);
            return (buffer ?? new Uint8Array(0)).buffer as ArrayBuffer;
          }));
        } else {
          listener(message);
        }
      };
      end.on('message', onMessage);
      return () => end.off('message', onMessage);
    },
  };
}
