// `npm run bench`'s command line: the modes, their defaults, and what each refuses.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ALL_MODELS, ALL_TOKENS, SCALE_MODELS, UsageError, parseArgs, runsAt } from '../../scripts/bench/args';

describe('bench arguments', () => {
  it('runs the pipeline rows by default', () => {
    const options = parseArgs([]);
    assert.equal(options.mode, 'pipeline');
    assert.deepEqual(options.models, ALL_MODELS);
    assert.deepEqual(options.tokens, ALL_TOKENS);
    assert.equal(options.long, false);
  });

  it('--scale measures the real shapes at 128 and 512 tokens; --long adds 2048 and 4096', () => {
    const short = parseArgs(['--scale']);
    assert.equal(short.mode, 'scale');
    assert.deepEqual(short.models, SCALE_MODELS);
    assert.deepEqual(short.tokens, [128, 512]);
    assert.equal(short.runs, 5);
    const long = parseArgs(['--scale', '--long', '--json']);
    assert.deepEqual(long.tokens, [128, 512, 2048, 4096]);
    assert.equal(long.long, true);
    assert.equal(long.json, true);
  });

  it('--scale takes its own models and explicit lengths', () => {
    const options = parseArgs(['--scale', '--models', 'synthetic-bert-base', '--tokens', '256', '--runs', '3']);
    assert.deepEqual(options.models, ['synthetic-bert-base']);
    assert.deepEqual(options.tokens, [256]);
    assert.equal(options.runs, 3);
    assert.throws(() => parseArgs(['--scale', '--models', 'bert-tiny-random']), /unknown model bert-tiny-random for --scale/);
    assert.throws(() => parseArgs(['--models', 'qwen2.5-0.5b-random']), /unknown model/);
  });

  it('--generate writes on the causal fixtures and the Qwen shape at 128 and 512 tokens; --long adds 2048', () => {
    const options = parseArgs(['--generate']);
    assert.deepEqual(options.models, ['tinystories-656k', 'stories260k', 'qwen2.5-0.5b-random']);
    assert.deepEqual(options.tokens, [128, 512]);
    assert.deepEqual(parseArgs(['--generate', '--long']).tokens, [128, 512, 2048]);
    assert.deepEqual(parseArgs(['--generate', '--models', 'stories260k', '--tokens', '2048']).tokens, [2048]);
    assert.throws(() => parseArgs(['--generate', '--models', 'bert-tiny-random']), /unknown model bert-tiny-random for --generate/);
  });

  it('repeats long rows at most three times', () => {
    const options = parseArgs(['--scale', '--long', '--runs', '7']);
    assert.equal(runsAt(options, 512), 7);
    assert.equal(runsAt(options, 2048), 3);
    assert.equal(runsAt(parseArgs(['--scale', '--runs', '1']), 4096), 1);
  });

  it('refuses --long without --stages, --scale or --generate, and two modes at once', () => {
    assert.throws(() => parseArgs(['--long']), (err: unknown) => err instanceof UsageError && /--long goes with --stages, --scale or --generate/.test(err.message));
    assert.equal(parseArgs(['--stages', '--long']).long, true);
    assert.equal(parseArgs(['--generate', '--long']).long, true);
    assert.deepEqual(parseArgs(['--stages']).tokens, ALL_TOKENS);
    assert.throws(() => parseArgs(['--scale', '--loading']), /separate runs/);
    assert.throws(() => parseArgs(['--scale', '--stages']), /separate runs/);
  });

  it('answers --help with the usage text, naming the scale mode', () => {
    assert.throws(() => parseArgs(['--help']), (err: unknown) => err instanceof UsageError && err.isHelp && /--scale \[--long\]/.test(err.message));
  });
});
