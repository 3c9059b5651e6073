// What the editor asks the engine's attention store for, under the panel's view state: one query's
// row for the highlights and its strongest keys for the hover card. A view of an inspection the
// engine no longer keeps calls `gone`, which runs the inspection again; other failures are logged
// and the editor shows nothing for them.
import type { KeyWeight } from '../attention';
import type { AttentionRequest, ViewState } from '../protocol';
import { editorChoice } from '../viewState';
import type { HostEngine } from './hostEngine';
import { CARD_ENTRIES } from './hoverCard';
import type { Inspection } from './inspection';
import { log } from './log';

export class EditorViews {
  constructor(private readonly engine: HostEngine, private readonly gone: (inspection: Inspection) => void) {}

  /** How much token `index` attends to each token; undefined when the engine could not say. */
  async row(inspection: Inspection, index: number, view: ViewState, signal?: AbortSignal): Promise<Float32Array | undefined> {
    const request: AttentionRequest = { type: 'row', choice: editorChoice(view), token: index, received: false };
    const reply = await this.ask(inspection, request, signal);
    return reply !== 'gone' && reply?.type === 'row' ? new Float32Array(reply.values) : undefined;
  }

  /** The keys token `index` attends to most, heaviest first; 'gone' when the engine no longer keeps them. */
  async keys(inspection: Inspection, index: number, view: ViewState): Promise<KeyWeight[] | 'gone' | undefined> {
    const request: AttentionRequest = { type: 'topk', choice: editorChoice(view), token: index, received: false, k: CARD_ENTRIES };
    const reply = await this.ask(inspection, request);
    if (reply === 'gone' || reply?.type !== 'topk') return reply === 'gone' ? reply : undefined;
    return reply.tokens.map((key, i) => ({ index: key, weight: reply.weights[i] }));
  }

  private async ask(inspection: Inspection, request: AttentionRequest, signal?: AbortSignal) {
    try {
      return await this.engine.view(inspection.id, request, signal);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (code === 'cancelled' || signal?.aborted) return undefined;
      if (code === 'attention-evicted') {
        log().info(`inspection #${inspection.id}: the engine no longer keeps its attention; inspecting the text again`);
        this.gone(inspection);
        return 'gone' as const;
      }
      log().warn(`inspection #${inspection.id}: the engine could not answer a ${request.type} view: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    }
  }
}
