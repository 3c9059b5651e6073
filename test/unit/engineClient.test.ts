// The engine client as the extension uses it: superseding, the engine process's crashes and limits,
// and the errors a user sees for broken model folders. Crashes are real ones: signals sent to the
// engine's pid.
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { getPriority, tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EngineClient, EngineStopped, type EngineStop } from '../../src/engine/client';
import { ENGINE_PRIORITY } from '../../src/engine/enginePriority';
import { EngineError } from '../../src/engine/errors';
import { ENGINE, MODELS_DIR, golden, maxAttentionDiff, inspectWithLayers } from './fixtures';

const TINY = path.join(MODELS_DIR, 'tinystories-656k');
const STORIES = path.join(MODELS_DIR, 'stories260k');
const LONG_TEXT = golden('stories260k')[0].text.repeat(40);

async function failure(promise: Promise<unknown>): Promise<EngineError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof EngineError, `expected an EngineError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the inspection to fail');
}

/** A model folder made of links to a fixture's files, with some files left out or replaced. */
function variantOf(fixture: string, files: Record<string, string | Uint8Array | null>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'attention-lens-model-'));
  mkdirSync(path.join(dir, 'onnx'));
  for (const rel of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx']) {
    if (rel in files) {
      if (files[rel] !== null) writeFileSync(path.join(dir, rel), files[rel]!);
    } else {
      symlinkSync(path.join(fixture, rel), path.join(dir, rel));
    }
  }
  return dir;
}

/** Whether a process with this pid exists. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A promise of the client's next report that the engine stopped. */
function nextStop(stops: { resolve?: (s: { stop: EngineStop; restarted: boolean; duringInspection: boolean }) => void }) {
  return new Promise<{ stop: EngineStop; restarted: boolean; duringInspection: boolean }>((resolve) => {
    stops.resolve = resolve;
  });
}

describe('engine client', () => {
  const stops: { resolve?: (s: { stop: EngineStop; restarted: boolean; duringInspection: boolean }) => void } = {};
  const client = new EngineClient({ enginePath: ENGINE, onStopped: (stop, how) => stops.resolve?.({ stop, ...how }) });
  after(() => client.dispose());

  it('a newer inspection supersedes an older one, whose results are never delivered', async () => {
    const firstLayers: number[] = [];
    const first = client.inspect({ model: STORIES, text: LONG_TEXT, provider: 'cpu' }, { onLayer: (l) => firstLayers.push(l) });
    const second = client.inspect({ model: STORIES, text: 'Lily saw a cat.', provider: 'cpu' });
    const err = await failure(first);
    assert.equal(err.code, 'cancelled');
    const result = await second;
    assert.equal(result.started.tokens.length < 20, true, 'the result is the second, short text');
    assert.equal(result.started.tokens.map((t) => t.text).join('').includes('cat'), true);
    assert.deepEqual(firstLayers, []);
  });

  it('the engine is a child process of this one', () => {
    const pid = client.pid!;
    assert.ok(pid && pid !== process.pid);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    assert.equal(Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]), process.pid, 'its parent is this process');
  });

  it('every thread of the engine, onnxruntime\'s included, runs below normal priority; the host keeps its own', async () => {
    const hostPriority = getPriority();
    await client.inspect({ model: STORIES, text: LONG_TEXT, provider: 'cpu' });
    const threads = readdirSync(`/proc/${client.pid!}/task`).map(Number);
    assert.ok(threads.length > 1, 'the engine has threads besides its main one');
    for (const tid of threads) assert.ok(getPriority(tid) >= ENGINE_PRIORITY, `engine thread ${tid} runs at priority ${getPriority(tid)}`);
    assert.equal(getPriority(), hostPriority);
  });

  it('an engine that aborts mid-inspection fails it with the signal, is restarted, and the next inspection works', async () => {
    const pid = client.pid!;
    // Stopped first, so the abort lands while the inspection is in flight however fast the model is.
    process.kill(pid, 'SIGSTOP');
    const inFlight = client.inspect({ model: STORIES, text: LONG_TEXT, provider: 'cpu' });
    const stopped = nextStop(stops);
    process.kill(pid, 'SIGABRT');
    process.kill(pid, 'SIGCONT');
    const err = await failure(inFlight);
    assert.equal(err.code, 'engine-stopped');
    assert.ok(err instanceof EngineStopped);
    assert.match(err.message, /stopped \(signal SIGABRT\) and was restarted/);
    assert.deepEqual(await stopped, { stop: { kind: 'crashed', code: null, signal: 'SIGABRT' }, restarted: true, duringInspection: true });
    assert.ok(client.pid && client.pid !== pid, 'a new engine runs');
    const prompt = golden('tinystories-656k')[0];
    const result = await inspectWithLayers(client, { model: TINY, text: prompt.text, provider: 'cpu' });
    assert.deepEqual(result.started.tokens.map((t) => t.id), prompt.input_ids);
    assert.ok(maxAttentionDiff(prompt.attentions, result.layers, prompt.input_ids.length) < 1e-4);
  });

  it('an engine killed while idle is restarted and reported', async () => {
    const pid = client.pid!;
    const stopped = nextStop(stops);
    process.kill(pid, 'SIGKILL');
    assert.deepEqual(await stopped, { stop: { kind: 'crashed', code: null, signal: 'SIGKILL' }, restarted: true, duringInspection: false });
    const result = await inspectWithLayers(client, { model: TINY, text: 'Once upon a time', provider: 'cpu' });
    assert.ok(result.layers.length === 2);
  });

  it('text longer than maxTokens is truncated, with a warning', async () => {
    const result = await inspectWithLayers(client, { model: TINY, text: LONG_TEXT, provider: 'cpu', maxTokens: 16 });
    assert.equal(result.started.tokens.length, 16);
    assert.equal(result.layers[0].length, 8 * 16 * 16);
    assert.ok(result.started.truncatedFrom! > 16);
    assert.match(result.started.warnings.join('\n'), /only the first 16/);
  });

  it('a continuation through the engine hands on every written token, in order, before its reply', async () => {
    const written: { step: number; id: number; added: string; writtenAt: number; arrivedAt: number }[] = [];
    let events = 0;
    const done = await client.generate({ model: TINY, text: 'Once upon a time, there was a', provider: 'cpu', maxNewTokens: 12, inspection: 501 }, {
      onSteps: (steps) => {
        events++;
        const arrivedAt = performance.timeOrigin + performance.now();
        written.push(...steps.map(({ step, id, added, writtenAt }) => ({ step, id, added, writtenAt, arrivedAt })));
      },
    });
    client.release(501);
    assert.equal(written.length, 12);
    assert.deepEqual(written.map((w) => w.step), Array.from({ length: 12 }, (_, i) => i));
    assert.equal(written.map((w) => w.added).join(''), done.continuation);
    assert.ok(events >= 1 && events <= written.length);
    // Each token carries when the engine wrote it: in order, and no later than it arrived here.
    written.forEach((w, i) => {
      assert.ok(i === 0 || w.writtenAt >= written[i - 1].writtenAt, `token ${i} written before token ${i - 1}`);
      assert.ok(w.writtenAt <= w.arrivedAt + 1, `token ${i} arrived before it was written`);
    });
  });

  it('a view the store answers at once is not held behind one that must first decode its layer', async () => {
    const inspection = 502;
    const result = await client.inspect({ model: STORIES, text: LONG_TEXT, provider: 'cpu', inspection, memoryBudgetMB: 32 });
    assert.equal(result.store, 'float16', 'the layers are kept as float16, so the head view\'s lines need one decoded');
    const T = result.started.tokens.length;
    const heads = Array.from({ length: result.started.model.heads }, (_, h) => h);
    const order: string[] = [];
    // The head view's lines for layer 3 (its heads, decoded), then the mean over heads (kept): asked together, as the panel does on a layer change.
    const lines = client.view(inspection, { type: 'links', layer: 3, heads, hideSpecial: false, budget: 2000 }).then((reply) => {
      order.push('lines');
      return reply;
    });
    const mean = client.view(inspection, { type: 'matrix', choice: { layer: 3, aggregation: 'mean', head: 0, hideSpecial: false }, cells: 256 }).then((reply) => {
      order.push('mean');
      return reply;
    });
    const [linesReply, meanReply] = await Promise.all([lines, mean]);
    client.release(inspection);
    assert.deepEqual(order, ['mean', 'lines']);
    assert.equal(linesReply.type, 'links');
    assert.ok(linesReply.type === 'links' && new Float32Array(linesReply.weight).length > 0, 'the lines came too');
    assert.ok(meanReply.type === 'matrix' && meanReply.rows === Math.min(256, T), `the mean is pooled to ${Math.min(256, T)} rows`);
  });

  it('empty text is a message, not an exception', async () => {
    const err = await failure(client.inspect({ model: TINY, text: '', provider: 'cpu' }));
    assert.equal(err.code, 'empty-input');
    assert.match(err.message, /no text to inspect/);
  });

  it('timings are reported', async () => {
    const result = await client.inspect({ model: TINY, text: 'Once upon a time', provider: 'cpu' });
    for (const key of ['tokenizeMs', 'loadMs', 'runMs', 'totalMs'] as const) {
      assert.ok(Number.isFinite(result.timings[key]) && result.timings[key] >= 0, key);
    }
    assert.ok(result.timings.totalMs >= result.timings.runMs);
  });

  const broken: [string, () => string, string, RegExp][] = [
    ['a folder that does not exist', () => path.join(tmpdir(), 'no-such-model-folder'), 'model-not-found', /does not exist/],
    ['a folder without tokenizer.json', () => variantOf(TINY, { 'tokenizer.json': null }), 'tokenizer-missing', /tokenizer\.json/],
    ['a folder without an ONNX graph', () => variantOf(TINY, { 'onnx/model.onnx': null }), 'onnx-missing', /No ONNX graph/],
    ['a truncated ONNX file', () => variantOf(TINY, {
      'onnx/model.onnx': readFileSync(path.join(TINY, 'onnx/model.onnx')).subarray(0, 200_000),
    }), 'onnx-invalid', /truncated/],
    ['a config.json that disagrees with the graph', () => variantOf(TINY, {
      'config.json': JSON.stringify({ ...JSON.parse(readFileSync(path.join(TINY, 'config.json'), 'utf8')), num_hidden_layers: 3 }),
    }), 'config-mismatch', /3 layers.*2 attention layers/],
    ['a config.json with the wrong head count', () => variantOf(TINY, {
      'config.json': JSON.stringify({ ...JSON.parse(readFileSync(path.join(TINY, 'config.json'), 'utf8')), num_attention_heads: 4 }),
    }), 'config-mismatch', /4 attention heads/],
  ];
  for (const [what, make, code, message] of broken) {
    it(`${what}: ${code}`, async () => {
      const err = await failure(client.inspect({ model: make(), text: 'Once upon a time', provider: 'cpu' }));
      assert.equal(err.code, code, err.message);
      assert.match(err.message, message);
    });
  }

  it('a provider this machine lacks is a clear error when asked for by name; auto falls back to CPU', async () => {
    const err = await failure(client.inspect({ model: TINY, text: 'Once upon a time', provider: 'coreml' }));
    assert.equal(err.code, 'provider-unavailable');
    const auto = await client.inspect({ model: TINY, text: 'Once upon a time', provider: 'auto' });
    assert.equal(auto.started.attempts[auto.started.attempts.length - 1].ok, true);
    assert.equal(auto.started.provider, auto.started.attempts[auto.started.attempts.length - 1].provider);
    for (const a of auto.started.attempts.slice(0, -1)) assert.ok(a.reason && a.reason.length > 0, `${a.provider} says why it failed`);
  });
});


describe('engine limits', () => {
  it('an engine that stops answering is ended after the time limit and restarted', async () => {
    let reported: EngineStop | undefined;
    let timeoutMs = 60_000;
    const client = new EngineClient({ enginePath: ENGINE, limits: () => ({ timeoutMs }), onStopped: (stop) => { reported = stop; } });
    try {
      await client.inspect({ model: TINY, text: 'Once upon a time', provider: 'cpu' });
      const pid = client.pid!;
      process.kill(pid, 'SIGSTOP'); // alive, but answers nothing
      timeoutMs = 1_000;
      const err = await failure(client.inspect({ model: TINY, text: 'Once upon a time', provider: 'cpu' }));
      assert.equal(err.code, 'engine-stopped');
      assert.deepEqual((err as EngineStopped).stop, { kind: 'timeout', seconds: 1 });
      assert.deepEqual(reported, { kind: 'timeout', seconds: 1 });
      assert.equal(alive(pid), false, 'the stuck engine was ended');
      timeoutMs = 60_000;
      const result = await inspectWithLayers(client, { model: TINY, text: 'Once upon a time', provider: 'cpu' });
      assert.equal(result.layers.length, 2);
    } finally {
      client.dispose();
    }
  });

  it('an engine over its memory limit is ended and restarted', async () => {
    const client = new EngineClient({ enginePath: ENGINE, limits: () => ({ memoryLimitMB: 1 }) });
    try {
      const err = await failure(client.inspect({ model: TINY, text: 'Once upon a time', provider: 'cpu' }));
      assert.equal(err.code, 'engine-stopped');
      const stop = (err as EngineStopped).stop;
      assert.equal(stop.kind, 'memory');
      assert.ok(stop.kind === 'memory' && stop.usedMB > 1 && stop.limitMB === 1, JSON.stringify(stop));
      assert.match(err.message, /MB over the limit of 1 MB/);
    } finally {
      client.dispose();
    }
  });

  it('an idle engine exits after the idle time, and the next inspection starts a new one', async () => {
    const client = new EngineClient({ enginePath: ENGINE, limits: () => ({ idleMs: 200 }) });
    try {
      await client.inspect({ model: TINY, text: 'Once upon a time', provider: 'cpu' });
      const pid = client.pid!;
      const exited = new Promise<void>((resolve) => {
        const poll = setInterval(() => {
          if (!alive(pid)) {
            clearInterval(poll);
            resolve();
          }
        }, 20);
      });
      await exited;
      assert.equal(client.pid, undefined, 'no engine runs');
      const result = await inspectWithLayers(client, { model: TINY, text: 'Once upon a time', provider: 'cpu' });
      assert.equal(result.layers.length, 2);
      assert.notEqual(client.pid, pid);
    } finally {
      client.dispose();
    }
  });
});
