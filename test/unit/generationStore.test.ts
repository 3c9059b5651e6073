// The engine's 'generate' answer: new tokens are announced (those of one frame together) only once
// the attention store holds the sequence through them, and the store's views of the whole sequence are the prompt's attention
// plus each new token's own row, exactly what the pipeline's generation returns.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { AttentionStore } from '../../src/engine/attentionStore';
import { engineHandlers } from '../../src/engine/engineHandlers';
import { sequenceAttention, sequenceTokens } from '../../src/engine/generation/sequence';
import { Pipeline } from '../../src/engine/pipeline';
import type { GenerationDone, GenerationEvent } from '../../src/protocol';
import type { Report } from '../../src/report/report';
import { MODELS_DIR } from './fixtures';

const MODEL = path.join(MODELS_DIR, 'tinystories-656k');
const TEXT = 'Once upon a time, there was a little girl named';

describe('generate in the engine', () => {
  const pipeline = new Pipeline();
  after(() => pipeline.dispose());

  it('streams each token after its row is in the store, and the views cover the whole sequence', async () => {
    const store = new AttentionStore(256 * 2 ** 20);
    const handlers = engineHandlers(pipeline, store);
    const events: GenerationEvent[] = [];
    const seen: number[] = [];
    const done = await handlers.generate({ model: MODEL, text: TEXT, maxNewTokens: 6, inspection: 7 }, {
      signal: new AbortController().signal,
      emit: (event: GenerationEvent) => {
        events.push(event);
        if (event.type === 'steps') seen.push(store.about(7).shape.T);
      },
    } as never) as GenerationDone;
    const started = events.find((e) => e.type === 'started');
    assert.ok(started && started.type === 'started');
    const batches = events.flatMap((e) => (e.type === 'steps' ? [e.steps] : []));
    const steps = batches.flat();
    assert.equal(steps.length, 6);
    assert.deepEqual(steps.map((s) => s.step), [0, 1, 2, 3, 4, 5]);
    // Each event comes once the store holds the sequence through its last token.
    const T = started.tokens.length;
    let through = T;
    assert.deepEqual(seen, batches.map((b) => (through += b.length)));
    assert.equal(done.continuation, steps.map((s) => s.added).join(''));
    assert.equal(done.stopped, 'limit');

    // The same continuation from the pipeline alone, and its sequence attention, row for row.
    const direct = await pipeline.generate({ model: MODEL, text: TEXT, maxNewTokens: 6 });
    assert.equal(direct.generation.continuation, done.continuation);
    const expected = sequenceAttention(direct.generation);
    const N = T + 6;
    const last = N - 1;
    const reply = await store.view(7, { type: 'headRows', layer: 1, token: last, received: false, hideSpecial: false });
    assert.equal(reply.type, 'headRows');
    if (reply.type !== 'headRows') return;
    const rows = new Float32Array(reply.values);
    for (let h = 0; h < reply.heads; h++) {
      for (let k = 0; k < N; k++) assert.ok(Math.abs(rows[h * N + k] - expected[1][(h * N + last) * N + k]) < 1e-6);
    }
    const report = store.about(7).facts;
    assert.equal(report?.generated?.length, 6);
    assert.equal(report?.text, TEXT + done.continuation);
  });

  it('holds the prompt\'s rows and then each token\'s own row: nothing is rebuilt per token', async () => {
    const store = new AttentionStore(256 * 2 ** 20);
    const handlers = engineHandlers(pipeline, store);
    const held: number[] = [];
    const through: number[] = [];
    let shape = { layers: 0, heads: 0, T: 0 };
    await handlers.generate({ model: MODEL, text: TEXT, maxNewTokens: 5, inspection: 8 }, {
      signal: new AbortController().signal,
      emit: (event: GenerationEvent) => {
        if (event.type === 'started') shape = { layers: event.model.layers, heads: event.model.heads, T: event.tokens.length };
        if (event.type === 'steps') {
          held.push(store.usage(8)!.bytes);
          through.push(event.steps[event.steps.length - 1].step);
        }
      },
    } as never);
    const { layers, heads, T } = shape;
    assert.equal(through[through.length - 1], 4);
    // The prompt's run is T rows of T keys; new token s adds one row of T + s + 1 keys.
    const expected = through.map((last) => 4 * layers * heads * (T * T + Array.from({ length: last + 1 }, (__, i) => T + i + 1).reduce((a, b) => a + b, 0)));
    assert.deepEqual(held, expected);
    assert.equal(store.usage(8)!.mode, 'float32');
  });

  it('its report from the store is the whole sequence: tokens, written tokens and every row', async () => {
    const store = new AttentionStore(256 * 2 ** 20);
    const handlers = engineHandlers(pipeline, store);
    const signal = new AbortController().signal;
    await handlers.generate({ model: MODEL, text: TEXT, maxNewTokens: 5, inspection: 9 }, { signal, emit: () => undefined } as never);
    const dir = mkdtempSync(path.join(tmpdir(), 'attention-lens-generated-report-'));
    try {
      const file = path.join(dir, 'report.json');
      await handlers.report({ inspection: 9, file, format: 'json' }, { signal, emit: () => undefined } as never);
      const report = JSON.parse(readFileSync(file, 'utf8')) as Report;
      const direct = await pipeline.generate({ model: MODEL, text: TEXT, maxNewTokens: 5 });
      assert.deepEqual(report.tokens.map((t) => t.id), sequenceTokens(direct.generation).map((t) => t.id));
      assert.deepEqual(report.generated?.map((g) => g.id), direct.generation.steps.map((s) => s.id));
      const N = report.tokens.length;
      const expected = sequenceAttention(direct.generation);
      report.attention.forEach((layer, l) => layer.forEach((head, h) => head.forEach((row, q) => row.forEach((v, k) => {
        assert.ok(Math.abs(v - expected[l][(h * N + q) * N + k]) < 1e-6, `layer ${l} head ${h} [${q}, ${k}]`);
      }))));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses an encoder in the user\'s words', async () => {
    const handlers = engineHandlers(pipeline, new AttentionStore(64 * 2 ** 20));
    await assert.rejects(
      handlers.generate({ model: path.join(MODELS_DIR, 'bert-tiny-random'), text: 'hello there', maxNewTokens: 4, inspection: 1 },
        { signal: new AbortController().signal, emit: () => undefined } as never) as Promise<unknown>,
      (err: { code?: string; message?: string }) => err.code === 'not-generative' && /cannot write a continuation/.test(err.message ?? ''),
    );
  });
});
