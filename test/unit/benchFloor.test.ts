// The bench's floor worker, as the bench starts it: the idle baseline's window runs the raw graph
// back to back for as long as it is asked, so that it is as long as the inspection it is compared with.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FloorClient } from '../../scripts/bench/floorClient';
import { inputOfLength, loadTokenizer } from '../../scripts/bench/inputText';
import { MODELS_DIR, ROOT } from './fixtures';

const BERT = path.join(MODELS_DIR, 'bert-tiny-random');
// The worker's bundle leaves onnxruntime-node out, so it must lie where the repository's modules resolve.
const BUNDLES = path.join(ROOT, '.cache', 'bench-floor-test');

describe('bench floor worker', () => {
  mkdirSync(BUNDLES, { recursive: true });
  const floor = FloorClient.start(BUNDLES);
  after(() => floor.dispose());
  before(async () => {
    await floor.open(BERT);
    await floor.probes(inputOfLength(loadTokenizer(BERT), 16));
  });

  it('the idle probe keeps the raw graph running for the window it is given', async () => {
    const idle = floor.idleProbe(() => 150);
    const sample = await idle.run();
    assert.equal(idle.name, 'idle');
    assert.ok(sample.ms >= 150, `${sample.ms} ms`);
  });

  it('with an empty window it runs the raw graph once, as a raw run does', async () => {
    const once = await floor.idleProbe(() => 0).run();
    assert.ok(once.ms < 150, `${once.ms} ms`);
  });
});
