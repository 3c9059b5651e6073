// Writing a report to disk: its pieces go through a file stream (which waits for the disk when it
// falls behind), under a temporary name renamed when complete, so an interrupted or failed write
// never leaves a truncated report where the user asked for one.
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';

/** Writes `pieces` to `file` in order; returns the number of bytes written. */
export async function writePieces(file: string, pieces: AsyncIterable<string | Uint8Array>): Promise<number> {
  const partial = `${file}.partial`;
  let bytes = 0;
  async function* counted(): AsyncGenerator<Uint8Array> {
    for await (const piece of pieces) {
      const chunk = typeof piece === 'string' ? Buffer.from(piece, 'utf8') : piece;
      bytes += chunk.byteLength;
      yield chunk;
    }
  }
  try {
    await pipeline(counted, createWriteStream(partial));
  } catch (err) {
    await rm(partial, { force: true });
    throw err;
  }
  await rename(partial, file);
  return bytes;
}
