// The engine process's allocator settings: with them, a large block an arena-less onnxruntime
// session frees is reused by the next run instead of being mapped afresh and faulted in page by page.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { ENGINE_ALLOCATOR_ENV } from '../../src/engine/engineMemory';

const PROBE = path.join(__dirname, 'allocatorProbe.ts');
const PAGE = 4096;

async function faults(env: NodeJS.ProcessEnv): Promise<{ faults: number[]; pages: number }> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', PROBE], { env });
  const probe = JSON.parse(stdout.trim().split('\n').pop()!) as { faults: number[]; intermediateBytes: number };
  return { faults: probe.faults, pages: probe.intermediateBytes / PAGE };
}

// Where transparent huge pages are always on, a fresh mapping faults in 2 MB at a time.
function hugePagesAlways(): boolean {
  try {
    return readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8').includes('[always]');
  } catch {
    return false;
  }
}

describe('engine allocator settings', { skip: process.platform !== 'linux' && 'glibc settings' }, () => {
  it('an 80 MB tensor freed by one run is reused by the next, not faulted in afresh', async () => {
    const { MALLOC_MMAP_MAX_: _max, MALLOC_MMAP_THRESHOLD_: _threshold, MALLOC_TRIM_THRESHOLD_: _trim, ...plain } = process.env;
    const tuned = await faults({ ...plain, ...ENGINE_ALLOCATOR_ENV });
    const untuned = await faults(plain);
    console.log(`  page faults per run (the 80 MB tensor is ${tuned.pages} pages): tuned ${tuned.faults.join(', ')}; glibc's defaults ${untuned.faults.join(', ')}`);
    assert.ok(tuned.faults[3] < tuned.pages / 10, `the fourth run faulted ${tuned.faults[3]} pages`);
    if (!hugePagesAlways()) assert.ok(untuned.faults[3] > tuned.pages, 'the probe sees fresh mappings without the settings');
  });
});
