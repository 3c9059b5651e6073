// A panel opened after an inspection (closed and reopened from the status bar) starts empty: the
// host sends it the inspection again, in the order the engine streamed it.
import type { Inspection } from './inspection';
import type { AttentionPanel } from './panel';

/** Sends an inspection to a panel as the engine streamed it: tokens first, then each layer. */
export function replayInspection(panel: AttentionPanel, inspection: Inspection): void {
  const { id, started, text, layers, timings } = inspection;
  panel.post({
    type: 'inspection', id, text, model: started.model, tokens: started.tokens, provider: started.provider,
    warnings: started.warnings, truncatedFrom: started.truncatedFrom,
  });
  const T = started.tokens.length;
  layers.forEach((data, layer) => panel.post({
    type: 'layer', id, layer, heads: started.model.heads, tokens: T, data: data.buffer as ArrayBuffer,
  }));
  panel.post({ type: 'done', id, timings });
}
