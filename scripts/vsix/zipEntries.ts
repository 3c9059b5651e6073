// The files in a zip (a VSIX is one), read with yauzl: names and sizes, enough to check what a
// package ships and what makes it large, and the contents of a few small files.
import * as yauzl from 'yauzl';

/** One file in the archive. */
export interface ZipEntry {
  name: string;
  /** Bytes in the archive. */
  compressedSize: number;
  /** Bytes once extracted. */
  size: number;
}

/** Opens `file`, hands each entry to `visit` in archive order, and closes it again. */
function walk(file: string, visit: (entry: yauzl.Entry, zip: yauzl.ZipFile) => Promise<boolean | void> | boolean | void): Promise<void> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true, autoClose: false }, (err, zip) => {
      if (err) return reject(new Error(`${file}: ${err.message}`));
      const done = (error?: Error) => {
        zip.close();
        if (error) reject(error);
        else resolve();
      };
      zip.on('error', done);
      zip.on('end', () => done());
      zip.on('entry', (entry: yauzl.Entry) => {
        Promise.resolve(visit(entry, zip)).then((stop) => (stop ? done() : zip.readEntry()), done);
      });
      zip.readEntry();
    });
  });
}

/** The entries of the zip file at `file`, in archive order. */
export async function zipEntries(file: string): Promise<ZipEntry[]> {
  const entries: ZipEntry[] = [];
  await walk(file, (e) => {
    entries.push({ name: e.fileName, compressedSize: e.compressedSize, size: e.uncompressedSize });
  });
  return entries;
}

/** The extracted bytes of the entry called `name` in the zip file at `file`. */
export async function readZipEntry(file: string, name: string): Promise<Buffer> {
  let found: Buffer | undefined;
  await walk(file, async (entry, zip) => {
    if (entry.fileName !== name) return false;
    found = await new Promise<Buffer>((resolve, reject) => {
      zip.openReadStream(entry, (err, stream) => {
        if (err) return reject(err);
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('error', reject);
        stream.on('end', () => resolve(Buffer.concat(chunks)));
      });
    });
    return true;
  });
  if (!found) throw new Error(`${file} has no entry ${name}`);
  return found;
}
