// How an AttentionReply crosses from the bench to the page it serves, as binary over HTTP (the
// panel's postMessage also carries ArrayBuffers as binary): a 4-byte length, the JSON of the reply
// with each ArrayBuffer field replaced by its byte length, then the buffers in field order. The
// bytes counted are the body's: what crossed to the page.
import type { AttentionReply } from '../../src/protocol';

type BufferField = { bufferBytes: number };

/** Encodes a reply (in Node) as one body. */
export function encodeReply(reply: AttentionReply): Uint8Array {
  const buffers: ArrayBuffer[] = [];
  const head: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(reply)) {
    if (value instanceof ArrayBuffer) {
      buffers.push(value);
      head[key] = { bufferBytes: value.byteLength } satisfies BufferField;
    } else {
      head[key] = value;
    }
  }
  const json = new TextEncoder().encode(JSON.stringify(head));
  // Buffers start on a multiple of 8, so the page may view them in place; the padding is spaces in the JSON's tail.
  const jsonLength = Math.ceil((4 + json.length) / 8) * 8 - 4;
  const body = new Uint8Array(4 + jsonLength + buffers.reduce((sum, b) => sum + Math.ceil(b.byteLength / 8) * 8, 0));
  new DataView(body.buffer).setUint32(0, jsonLength, true);
  body.fill(0x20, 4, 4 + jsonLength);
  body.set(json, 4);
  let offset = 4 + jsonLength;
  for (const buffer of buffers) {
    body.set(new Uint8Array(buffer), offset);
    offset += Math.ceil(buffer.byteLength / 8) * 8;
  }
  return body;
}

/** Rebuilds the reply (in the page); each buffer is copied out into its own ArrayBuffer, as postMessage delivers it. */
export function decodeReply(body: ArrayBuffer): AttentionReply {
  const jsonLength = new DataView(body).getUint32(0, true);
  const head = JSON.parse(new TextDecoder().decode(new Uint8Array(body, 4, jsonLength))) as Record<string, unknown>;
  let offset = 4 + jsonLength;
  for (const [key, value] of Object.entries(head)) {
    const field = value as Partial<BufferField> | null;
    if (field && typeof field === 'object' && typeof field.bufferBytes === 'number') {
      head[key] = body.slice(offset, offset + field.bufferBytes);
      offset += Math.ceil(field.bufferBytes / 8) * 8;
    }
  }
  return head as AttentionReply;
}
