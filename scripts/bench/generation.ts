// `npm run bench -- --generate [--runs N]`: what watching a model write costs. Per causal fixture
// with a KV cache and per prompt length, medians of N runs (interleaved, one untimed run each first):
//   tokenMs       ms per new token of generate(): one cached step fetching logits, presents and every
//                 layer's attention, plus choosing the token, its top 5 and its text;
//   plainMs       ms per token of a plain KV-cache decode of the same graph, fetching only logits and
//                 presents, fed the same tokens (so both do the same work in the model);
//   ratio         tokenMs / plainMs (target ≤ 1.2);
//   firstMs       until generate() hands over its first token: tokenizing, the prompt's run and the
//                 first token's own run (its row needs it); plainFirstMs: the plain decode's prompt run.
// Per token is the median gap between consecutive tokens, so the prompt's run stays out of it.
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import * as path from 'node:path';
import type * as ort from 'onnxruntime-node';
import { AttentionModel } from '../../src/engine/attentionModel';
import { buildFeeds } from '../../src/engine/feeds';
import { generate } from '../../src/engine/generation/generate';
import { openSession } from '../../src/engine/providers';
import { inputOfLength, loadTokenizer } from './inputText';
import { CACHE, REPO_ROOT } from './models';
import { median } from './stats';

const FIXTURES = path.resolve(REPO_ROOT, '..', 'shared', 'models');
const NEW_TOKENS = 32;
const TARGET_RATIO = 1.2;
// Prompts are whole sentences, up to this many tokens past the length asked for, and then an
// unfinished one (a story model would otherwise often end the text at once): the longest still
// leaves room within the fixtures' 512 positions for every new token.
const SENTENCE_MARGIN = 40;
const UNFINISHED = ' One day, Lily saw a';
const PROMPTS = [128, 512 - NEW_TOKENS - SENTENCE_MARGIN];

interface Timing {
  firstMs: number;
  tokenMs: number;
  steps: number;
}

/** A fixture's checkpoint alone (no onnx/), so the engine builds its graph, KV cache included. */
function checkpointFolder(fixture: string): string {
  const dir = path.join(CACHE, 'generate', `${fixture}-checkpoint`);
  mkdirSync(dir, { recursive: true });
  for (const file of ['config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json']) {
    if (!existsSync(path.join(dir, file))) copyFileSync(path.join(FIXTURES, fixture, file), path.join(dir, file));
  }
  return dir;
}

async function timeGenerate(model: AttentionModel, text: string): Promise<{ timing: Timing; ids: number[]; prompt: number[] }> {
  const marks: number[] = [];
  const t0 = performance.now();
  const generation = await generate(model, text, { maxNewTokens: NEW_TOKENS }, () => marks.push(performance.now()));
  return {
    timing: { firstMs: marks[0] - t0, tokenMs: perToken(marks), steps: marks.length },
    ids: generation.steps.map((s) => s.id),
    prompt: generation.prompt.map((t) => t.id),
  };
}

// The plain decode: the prompt's run, then one cached run per token, fetching logits and presents only.
async function timePlain(session: ort.InferenceSession, model: AttentionModel, prompt: number[], ids: number[]): Promise<Timing> {
  const inputs = model.graph.inputs;
  const pasts = inputs.map((i) => i.name).filter((n) => n.startsWith('past_key_values.'));
  const fetches = ['logits', ...pasts.map((n) => n.replace('past_key_values.', 'present.'))];
  const argmax = (t: ort.Tensor): number => {
    const vocab = t.dims[2];
    const last = (t.data as Float32Array).subarray(t.data.length - vocab);
    let best = 0;
    for (let i = 1; i < vocab; i++) if (last[i] > last[best]) best = i;
    return best;
  };
  const t0 = performance.now();
  let out = await session.run(buildFeeds(inputs, prompt, [], model.folder.config), fetches);
  argmax(out.logits);
  const firstMs = performance.now() - t0;
  const marks: number[] = [];
  let length = prompt.length;
  for (const id of ids) {
    const tensors = Object.fromEntries(pasts.map((n) => [n, out[n.replace('past_key_values.', 'present.')]]));
    out = await session.run(buildFeeds(inputs, [id], [], model.folder.config, { length, tensors }), fetches);
    argmax(out.logits);
    length++;
    marks.push(performance.now());
  }
  return { firstMs, tokenMs: perToken(marks), steps: ids.length };
}

// The median time between consecutive tokens: a shared machine's stalls land in a few gaps, not all.
function perToken(marks: number[]): number {
  return median(marks.slice(1).map((m, i) => m - marks[i]));
}

/** Runs generate() against a plain decode on each fixture and prompt length, and prints the table. */
export async function generationBench(runs: number, log: (line: string) => void): Promise<void> {
  const models = [
    { name: 'tinystories-656k (model_with_past.onnx)', location: path.join(FIXTURES, 'tinystories-656k', 'onnx', 'model_with_past.onnx') },
    { name: 'tinystories-656k (checkpoint)', location: checkpointFolder('tinystories-656k') },
    { name: 'stories260k (checkpoint)', location: checkpointFolder('stories260k') },
  ];
  const lines = [
    '| model | prompt T | new tokens | tokenMs | plainMs | ratio | firstMs | plainFirstMs |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  const loadBefore = loadavg()[0];
  for (const { name, location } of models) {
    const model = await AttentionModel.load(location, 'cpu');
    const dataDir = model.folder.onnxPath ? path.dirname(model.folder.onnxPath) : model.folder.dir;
    const { session } = await openSession(model.graph.bytes, 'cpu', dataDir);
    try {
      for (const T of PROMPTS) {
        const text = inputOfLength(loadTokenizer(model.folder.dir), T).text + UNFINISHED;
        const mine: Timing[] = [];
        const plain: Timing[] = [];
        for (let run = 0; run <= runs; run++) {
          const generated = await timeGenerate(model, text);
          const baseline = await timePlain(session, model, generated.prompt, generated.ids);
          if (run === 0) {
            log(`generate bench: ${name}, prompt of ${generated.prompt.length} tokens, ${generated.ids.length} new`);
            continue;
          }
          mine.push(generated.timing);
          plain.push(baseline);
        }
        const of = (xs: Timing[], key: keyof Timing): number => median(xs.map((x) => x[key]));
        const ratio = of(mine, 'tokenMs') / of(plain, 'tokenMs');
        lines.push(`| ${name} | ${T}+ | ${mine[0].steps} | ${of(mine, 'tokenMs').toFixed(2)} | ${of(plain, 'tokenMs').toFixed(2)} | ` +
          `${ratio.toFixed(2)} ${ratio <= TARGET_RATIO ? '✔' : '✘'} | ${of(mine, 'firstMs').toFixed(1)} | ${of(plain, 'firstMs').toFixed(1)} |`);
      }
    } finally {
      await session.release();
      await model.dispose();
    }
  }
  console.log(lines.join('\n'));
  console.log(`\nmedians of ${runs} runs after one untimed run; CPU provider; ${NEW_TOKENS} new tokens at most (fewer when the model ends ` +
    `its text); prompts are whole sentences of at least T tokens and an unfinished one; 1-min load average ${loadBefore.toFixed(2)} before, ${loadavg()[0].toFixed(2)} after.`);
}
