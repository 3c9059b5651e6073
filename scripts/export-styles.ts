// Writes the export-style corpus (scripts/exportStyles) into .cache/export-styles/<style>/.
// Usage: node --import tsx scripts/export-styles.ts [--out DIR] [style ...]
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { exportStyles } from './exportStyles/index';

/** Where styles are written unless told otherwise. */
export const STYLES_DIR = path.resolve(__dirname, '..', '.cache', 'export-styles');

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ options: { out: { type: 'string' } }, allowPositionals: true });
  const out = path.resolve(values.out ?? STYLES_DIR);
  const unknown = positionals.filter((p) => !exportStyles.some((s) => s.name === p));
  if (unknown.length) throw new Error(`unknown style ${unknown.join(', ')}; known: ${exportStyles.map((s) => s.name).join(', ')}`);
  for (const style of exportStyles) {
    if (positionals.length && !positionals.includes(style.name)) continue;
    await style.build(path.join(out, style.name));
    console.log(`${style.name}: ${path.join(out, style.name, style.graph)}`);
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exitCode = 1;
  });
}
