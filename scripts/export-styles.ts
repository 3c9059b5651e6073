// Writes the export-style corpus (scripts/exportStyles) into .cache/export-styles/<style>/:
//   npm run export-styles [-- --out DIR] [style ...]
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { EXPORT_STYLES } from './exportStyles/index';
import { STYLES_DIR } from './exportStyles/folder';

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ options: { out: { type: 'string' } }, allowPositionals: true });
  const out = path.resolve(values.out ?? STYLES_DIR);
  const unknown = positionals.filter((p) => !EXPORT_STYLES.some((s) => s.name === p));
  if (unknown.length) throw new Error(`unknown style ${unknown.join(', ')}; known: ${EXPORT_STYLES.map((s) => s.name).join(', ')}`);
  for (const style of EXPORT_STYLES) {
    if (positionals.length && !positionals.includes(style.name)) continue;
    const started = performance.now();
    await style.build(path.join(out, style.name));
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(`${style.name.padEnd(20)} ${style.fixture.padEnd(18)} ${seconds.padStart(5)} s  ${path.join(out, style.name, style.graph)}`);
  }
}

main().catch((err: unknown) => {
  console.error(`export-styles: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
