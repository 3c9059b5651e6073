// `npm run models`: fetches the bundled default model (models/catalog.json) from HF_ENDPOINT, else
// the public Hub, into models/<key>/ so the extension and the VSIX carry it. Idempotent: a complete
// folder for the same id and revision is left alone without a request; delete it to fetch again.
import * as path from 'node:path';
import { catalogHubId, defaultCatalogEntry } from '../src/models/catalog';
import { describeCause, ModelSourceError } from '../src/models/errors';
import { formatHubId } from '../src/models/hubId';
import { defaultEndpoint, fetchSnapshot } from '../src/models/snapshot';

const ROOT = path.resolve(__dirname, '..');

const megabytes = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;

async function main(): Promise<void> {
  const entry = defaultCatalogEntry();
  const id = catalogHubId(entry);
  const folder = path.join(ROOT, 'models', entry.key);
  const shown = path.relative(ROOT, folder);
  let downloaded = false;
  let lastFile = '';
  const record = await fetchSnapshot(id, folder, {
    endpoint: defaultEndpoint(),
    onProgress: (done, total, file) => {
      downloaded = true;
      // One line per file keeps CI logs short.
      if (file !== lastFile) {
        lastFile = file;
        process.stderr.write(`  ${file} (${megabytes(done)} of ${megabytes(total)})\n`);
      }
    },
  });
  const size = megabytes(record.files.reduce((sum, f) => sum + f.size, 0));
  const what = `${formatHubId(id)} at commit ${record.commit.slice(0, 12)}, ${record.files.length} files, ${size}, from ${record.endpoint}`;
  console.log(downloaded ? `${shown}: fetched ${what}` : `${shown}: up to date (${what})`);
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
