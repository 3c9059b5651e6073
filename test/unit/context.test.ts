// How many tokens an inspection runs at once: the model's context by default, within the provider's
// cap; an explicit maxTokens wins over the cap but never exceeds the context.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import {
  ATTENTION_WEIGHT_BUDGET, CPU_PAIR_BUDGET, CPU_TOKEN_CAP, DEFAULT_CONTEXT, GPU_TOKEN_CAP, modelContext, providerTokenCap, windowTokens,
} from '../../src/engine/context';
import { configHeads, configLayers, resolveModelFolder } from '../../src/engine/modelFolder';
import { FIXTURES, MODELS_DIR } from './fixtures';

describe('maxTokens', () => {
  for (const model of FIXTURES) {
    it(`${model}: 0 means the context its config.json states (512)`, () => {
      const { config } = resolveModelFolder(path.join(MODELS_DIR, model));
      const shape = { layers: configLayers(config) ?? 0, heads: configHeads(config) ?? 0 };
      assert.equal(modelContext(config), 512);
      assert.equal(windowTokens(0, modelContext(config), 'cpu', shape), 512);
      assert.equal(windowTokens(undefined, modelContext(config), 'cuda', shape), 512);
      assert.equal(windowTokens(100, modelContext(config), 'cpu', shape), 100, 'an explicit value wins');
      assert.equal(windowTokens(4096, modelContext(config), 'cpu', shape), 512, 'but never exceeds the context');
    });
  }

  it('reads the context under each family\'s name', () => {
    assert.equal(modelContext({ max_position_embeddings: 2048 }), 2048);
    assert.equal(modelContext({ n_positions: 1024 }), 1024);
    assert.equal(modelContext({ n_ctx: 2048 }), 2048);
    assert.equal(modelContext({ max_sequence_length: 4096 }), 4096);
    assert.equal(modelContext({}), undefined);
    assert.equal(modelContext({ max_position_embeddings: 0, n_positions: 256 }), 256);
  });

  it('caps a long context by provider, and by the attention one layer produces', () => {
    const small = { layers: 2, heads: 8 };
    assert.equal(windowTokens(0, 131072, 'cpu', small), CPU_TOKEN_CAP);
    // 8 heads reach the one-layer budget at about 5790 tokens: 5632 on a GPU.
    assert.equal(windowTokens(0, 131072, 'cuda', small), 5632);
    assert.ok(8 * 5632 ** 2 <= ATTENTION_WEIGHT_BUDGET);
    assert.equal(windowTokens(0, 131072, 'cuda', { layers: 1, heads: 1 }), GPU_TOKEN_CAP);
    // Qwen2.5-0.5B (24 layers × 14 heads, context 32768): 1024 tokens on CPU, where 2048 took minutes;
    // on a GPU only one layer's attention bounds it.
    assert.equal(windowTokens(0, 32768, 'cpu', { layers: 24, heads: 14 }), 1024);
    assert.ok(24 * 14 * 1024 ** 2 <= CPU_PAIR_BUDGET && 24 * 14 * 1280 ** 2 > CPU_PAIR_BUDGET);
    assert.equal(windowTokens(0, 32768, 'cuda', { layers: 24, heads: 14 }), 4352);
    // The 5-layer, 8-head fixture: 3584 tokens on CPU.
    assert.equal(providerTokenCap('cpu', { layers: 5, heads: 8 }), 3584);
    // GPT-2 small's context (1024) is below every cap.
    assert.equal(windowTokens(0, 1024, 'cpu', { layers: 12, heads: 12 }), 1024);
    // A layer with very many heads never goes below the common 512 context.
    assert.equal(providerTokenCap('cpu', { layers: 80, heads: 2048 }), DEFAULT_CONTEXT);
    // An unknown context is the common 512; an explicit value with no known context is taken as is.
    assert.equal(windowTokens(0, undefined, 'cpu', small), DEFAULT_CONTEXT);
    assert.equal(windowTokens(3000, undefined, 'cpu', small), 3000);
    assert.equal(windowTokens(1, 512, 'cpu', small), 2);
  });
});
