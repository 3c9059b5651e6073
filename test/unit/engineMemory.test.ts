// The engine process's allocator settings: with them, a large block an arena-less onnxruntime
// session allocates on every run is faulted in 2 MB at a time rather than 4 kB at a time, and the
// user's own glibc tunables are kept.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { engineAllocatorEnv } from '../../src/engine/engineMemory';

const PROBE = path.join(__dirname, 'allocatorProbe.ts');
const PAGE = 4096;

async function faults(env: NodeJS.ProcessEnv): Promise<{ faults: number[]; pages: number }> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', PROBE], { env });
  const probe = JSON.parse(stdout.trim().split('\n').pop()!) as { faults: number[]; intermediateBytes: number };
  return { faults: probe.faults, pages: probe.intermediateBytes / PAGE };
}

/** The kernel's transparent huge page mode: always, madvise or never (undefined where it has none). */
function hugePages(): string | undefined {
  try {
    return readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8').match(/\[(\w+)\]/)?.[1];
  } catch {
    return undefined;
  }
}

describe('engine allocator settings', () => {
  it('add the huge page tunable to the user\'s glibc tunables', () => {
    assert.equal(engineAllocatorEnv({}).GLIBC_TUNABLES, 'glibc.malloc.hugetlb=1');
    assert.equal(engineAllocatorEnv({ GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' }).GLIBC_TUNABLES, 'glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1');
  });

  const mode = process.platform === 'linux' ? hugePages() : undefined;
  it('fault an 80 MB tensor allocated on every run in huge pages', { skip: (!mode || mode === 'never') && 'no transparent huge pages here' }, async () => {
    const { MALLOC_MMAP_THRESHOLD_: _threshold, MALLOC_TRIM_THRESHOLD_: _trim, GLIBC_TUNABLES: _tunables, ...plain } = process.env;
    const tuned = await faults({ ...plain, ...engineAllocatorEnv(plain) });
    const untuned = await faults(plain);
    console.log(`  page faults per run (the 80 MB tensor is ${tuned.pages} pages): tuned ${tuned.faults.join(', ')}; glibc's defaults ${untuned.faults.join(', ')}`);
    assert.ok(tuned.faults[3] < tuned.pages / 10, `the fourth run faulted ${tuned.faults[3]} pages`);
    // Where huge pages are always on, glibc's defaults get them too.
    if (mode === 'madvise') assert.ok(untuned.faults[3] > tuned.pages, 'the probe sees 4 kB faults without the settings');
  });
});
