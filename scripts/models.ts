// `npm run models`: fetches the bundled default model (models/catalog.json) from HF_ENDPOINT, else
// the public Hub, into models/<key>/ so the extension and the VSIX carry it. The download goes
// through the project's own Hugging Face cache in .cache/huggingface/hub (never the user's), and its
// files are then copied, links resolved, into a plain folder that is renamed into place when whole.
// Idempotent: a complete folder for the same id and revision is left alone without a request;
// delete it to fetch again.
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { catalogHubId, defaultCatalogEntry } from '../src/models/catalog';
import { describeCause, ModelSourceError } from '../src/models/errors';
import { formatHubId, type HubId } from '../src/models/hubId';
import { defaultEndpoint, fetchSnapshot } from '../src/models/snapshot';

const ROOT = path.resolve(__dirname, '..');
const HUB_CACHE = path.join(ROOT, '.cache', 'huggingface', 'hub');
/** The record of where the bundled folder came from; its presence makes the folder complete. */
const MARKER = '.hub-snapshot.json';

interface BundledRecord {
  format: 'attention-lens/hub-snapshot/v1';
  repo: string;
  revision: string;
  commit: string;
  endpoint: string;
  files: { path: string; size: number; sha256?: string; gitOid?: string }[];
  completedAt: string;
}

const megabytes = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;

/** The folder's record when it is a complete copy of `id`. */
function completeRecord(folder: string, id: HubId): BundledRecord | undefined {
  let record: BundledRecord;
  try {
    record = JSON.parse(readFileSync(path.join(folder, MARKER), 'utf8')) as BundledRecord;
  } catch {
    return undefined;
  }
  if (record.repo?.toLowerCase() !== id.repo.toLowerCase() || record.revision !== id.revision || !Array.isArray(record.files)) return undefined;
  const intact = record.files.every((f) => existsSync(path.join(folder, f.path)) && statSync(path.join(folder, f.path)).size === f.size);
  return intact ? record : undefined;
}

async function main(): Promise<void> {
  const entry = defaultCatalogEntry();
  const id = catalogHubId(entry);
  const folder = path.join(ROOT, 'models', entry.key);
  const shown = path.relative(ROOT, folder);
  const existing = completeRecord(folder, id);
  const describe = (r: BundledRecord): string =>
    `${formatHubId(id)} at commit ${r.commit.slice(0, 12)}, ${r.files.length} files, ${megabytes(r.files.reduce((s, f) => s + f.size, 0))}, from ${r.endpoint}`;
  if (existing) {
    console.log(`${shown}: up to date (${describe(existing)})`);
    return;
  }
  let lastFile = '';
  const endpoint = defaultEndpoint();
  const snapshot = await fetchSnapshot(id, {
    cacheDir: HUB_CACHE,
    endpoint,
    onProgress: (done, total, file) => {
      // One line per file keeps CI logs short.
      if (file !== lastFile) {
        lastFile = file;
        process.stderr.write(`  ${file} (${megabytes(done)} of ${megabytes(total)})\n`);
      }
    },
  });
  const record: BundledRecord = {
    format: 'attention-lens/hub-snapshot/v1',
    repo: id.repo,
    revision: id.revision,
    commit: snapshot.commit,
    endpoint: snapshot.endpoint ?? endpoint,
    files: snapshot.files.map((f) => ({ path: f.path, size: f.size, sha256: f.lfsSha256, gitOid: f.gitOid })),
    completedAt: new Date().toISOString(),
  };
  // A VSIX carries files, not links: copy each one (copyFile follows the link) into a hidden sibling.
  const incoming = path.join(path.dirname(folder), `.incoming-${entry.key}-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    for (const file of snapshot.files) {
      const dest = path.join(incoming, file.path);
      mkdirSync(path.dirname(dest), { recursive: true });
      copyFileSync(path.join(snapshot.folder, file.path), dest);
    }
    writeFileSync(path.join(incoming, MARKER), JSON.stringify(record, null, 2) + '\n');
    rmSync(folder, { recursive: true, force: true });
    renameSync(incoming, folder);
  } finally {
    rmSync(incoming, { recursive: true, force: true });
  }
  const how = snapshot.fetched.length > 0 ? 'fetched' : 'copied from .cache/huggingface/hub';
  console.log(`${shown}: ${how} ${describe(record)}`);
}

main().catch((err: unknown) => {
  if (err instanceof ModelSourceError) {
    console.error(`npm run models: ${err.message}`);
    if (err.detail) console.error(`  ${err.detail}`);
  } else {
    console.error(`npm run models: ${describeCause(err)}`);
  }
  process.exitCode = 1;
});
