// Lists the files in a zip (a VSIX is one) from its central directory: names and sizes, enough to
// check what a package ships and what makes it large, and to read a few small files from it,
// without an unzip tool or a dependency.
import { readFileSync } from 'node:fs';
import { inflateRawSync } from 'node:zlib';

/** One file in the archive. */
export interface ZipEntry {
  name: string;
  /** Bytes in the archive. */
  compressedSize: number;
  /** Bytes once extracted. */
  size: number;
  /** 0: stored, 8: deflated. */
  method: number;
  /** Where the entry's local header starts. */
  localHeaderOffset: number;
}

const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const CENTRAL_FILE_HEADER = 0x02014b50;
const LOCAL_FILE_HEADER = 0x04034b50;

/** The entries of the zip file at `file`, in archive order. Zip64 archives (over 4 GB) are refused. */
export function zipEntries(file: string): ZipEntry[] {
  const bytes = readFileSync(file);
  // The end record is the last 22 bytes, unless an archive comment (up to 64 KiB) follows it.
  let end = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 0xffff); i--) {
    if (bytes.readUInt32LE(i) === END_OF_CENTRAL_DIRECTORY) {
      end = i;
      break;
    }
  }
  if (end < 0) throw new Error(`${file} is not a zip archive (no end of central directory record)`);
  const count = bytes.readUInt16LE(end + 10);
  let offset = bytes.readUInt32LE(end + 16);
  if (count === 0xffff || offset === 0xffffffff) throw new Error(`${file} is a zip64 archive, which this reader does not handle`);

  const entries: ZipEntry[] = [];
  for (let n = 0; n < count; n++) {
    if (bytes.readUInt32LE(offset) !== CENTRAL_FILE_HEADER) throw new Error(`${file}: central directory entry ${n} is damaged`);
    const nameLength = bytes.readUInt16LE(offset + 28);
    const extraLength = bytes.readUInt16LE(offset + 30);
    const commentLength = bytes.readUInt16LE(offset + 32);
    entries.push({
      name: bytes.toString('utf8', offset + 46, offset + 46 + nameLength),
      compressedSize: bytes.readUInt32LE(offset + 20),
      size: bytes.readUInt32LE(offset + 24),
      method: bytes.readUInt16LE(offset + 10),
      localHeaderOffset: bytes.readUInt32LE(offset + 42),
    });
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** The extracted bytes of the entry called `name` in the zip file at `file`. */
export function readZipEntry(file: string, name: string): Buffer {
  const entry = zipEntries(file).find((e) => e.name === name);
  if (!entry) throw new Error(`${file} has no entry ${name}`);
  const bytes = readFileSync(file);
  const at = entry.localHeaderOffset;
  if (bytes.readUInt32LE(at) !== LOCAL_FILE_HEADER) throw new Error(`${file}: the local header of ${name} is damaged`);
  const start = at + 30 + bytes.readUInt16LE(at + 26) + bytes.readUInt16LE(at + 28);
  const data = bytes.subarray(start, start + entry.compressedSize);
  if (entry.method === 0) return Buffer.from(data);
  if (entry.method === 8) return inflateRawSync(data);
  throw new Error(`${file}: ${name} uses compression method ${entry.method}, which this reader does not handle`);
}
