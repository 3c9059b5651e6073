// Generates the corpus of export styles into .cache/export-styles/<style>/ (or --out DIR):
//   npm run export-styles [-- --out DIR] [style ...]
import * as path from 'node:path';
import { EXPORT_STYLES } from './exportStyles';
import { STYLES_DIR } from './exportStyles/folder';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  let out = STYLES_DIR;
  const names: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--out') out = path.resolve(args[++i] ?? '');
    else names.push(args[i]);
  }
  const unknown = names.filter((n) => !EXPORT_STYLES.some((s) => s.name === n));
  if (unknown.length) {
    console.error(`export-styles: unknown style ${unknown.join(', ')}; known: ${EXPORT_STYLES.map((s) => s.name).join(', ')}`);
    process.exit(2);
  }
  for (const style of EXPORT_STYLES.filter((s) => names.length === 0 || names.includes(s.name))) {
    const dir = path.join(out, style.name);
    const started = performance.now();
    await style.build(dir);
    console.log(`${style.name.padEnd(14)} ${style.fixture.padEnd(18)} ${((performance.now() - started) / 1000).toFixed(1)} s  ${dir}`);
  }
}

void main();
