// The engine's answer to 'generate': the pipeline continues the text, and the attention store keeps
// the whole sequence under the request's inspection id so that every view works on it. The prompt's
// rows go into the store as its run computes them, then each new token's row: appended, never a
// rebuild of what is there, so a token costs its own L × H × T row. A token is announced once its row
// is in, so a view asked after a step's event already sees it; tokens written within one frame are
// announced together (FrameBatch), and every token is announced before the reply.
import type { GeneratedToken, GenerateParams, GenerationDone, GenerationEvent, InspectionStarted, Token, WrittenStep } from '../protocol';
import type { AttentionStore, ReportFacts } from './attentionStore';
import { rowHeads, rowWidth } from './generation/attentionRows';
import { stepRows } from './generation/sequence';
import { FrameBatch } from './frameBatch';
import type { Pipeline } from './pipeline';
import { budgetBytes } from './storeBudget';

/** Continues `params.text`, streaming the prompt's tokens and each new token once the store holds it. */
export async function generateInto(
  pipeline: Pipeline, store: AttentionStore, params: GenerateParams,
  emit: (event: GenerationEvent) => void, signal: AbortSignal,
): Promise<GenerationDone> {
  const id = params.inspection;
  const tokens: Token[] = [];
  const generated: GeneratedToken[] = [];
  let text = params.text;
  let longest = 0;
  let started: InspectionStarted | undefined;
  const written = new FrameBatch<WrittenStep>((steps) => emit({ type: 'steps', steps }));
  // The report's facts for the sequence so far: copies, so a report being written keeps its own.
  const describe = (): void => {
    if (!started) return;
    const facts: ReportFacts = {
      model: { ...started.model, provider: started.provider }, text, tokens: tokens.slice(), warnings: [], generated: generated.slice(),
    };
    store.describe(id, facts);
  };
  try {
    store.budget = budgetBytes(params.memoryBudgetMB);
    const { generation, timings } = await pipeline.generate(
      { ...params, temperature: params.temperature || undefined },
      (step) => {
        const { attention: _rows, position: _position, ...token } = step;
        store.append(id, stepRows(step), [step.special]);
        tokens.push({ id: step.id, text: step.text, start: step.start, end: step.end, special: step.special });
        generated.push({ step: step.step, id: step.id, text: step.text, start: step.start, end: step.end, topk: step.topk });
        text += step.added;
        describe();
        written.push({ ...token, writtenAt: performance.timeOrigin + performance.now() });
      },
      signal,
      {
        onProgress: (stage) => emit({ type: 'progress', stage }),
        onPrompt: (prompt, length, model) => {
          tokens.push(...prompt);
          longest = length;
          started = { type: 'started', model: { ...model.info }, tokens: prompt, provider: model.provider, attempts: model.attempts, warnings: [] };
        },
        onPromptRows: (rows) => {
          const heads = rowHeads(rows);
          if (rows.from === 0) store.openSequence(id, { layers: rows.layers.length, heads, T: longest }, params.onScreen);
          store.append(id, rows, tokens.slice(rows.from, rowWidth(rows)).map((t) => t.special));
          if (rowWidth(rows) < tokens.length || !started) return;
          // The prompt is in: its tokens go out with the head count its rows have.
          started.model.heads = heads;
          describe();
          emit(started);
        },
      },
    );
    written.flush();
    return { stopped: generation.stopped, seed: generation.seed, continuation: generation.continuation, timings };
  } catch (err) {
    written.flush();
    store.end(id, err);
    throw err;
  }
}
