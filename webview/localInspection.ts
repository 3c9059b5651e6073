// An inspection whose attention the page itself holds (the standalone report, a notebook output, the
// test page): its layers are kept in a LocalAttention, which answers the views' requests just as the
// engine's store answers the panel's, so the views do not care where the attention lives.
import { LocalAttention } from '../src/attention/localAttention';
import type { ViewState } from '../src/protocol';
import type { AttentionApp, InspectionMeta } from './app';

/** Shows `meta` in `app` with attention held in the page; returns how to add each layer as it is decoded. */
export function showLocally(app: AttentionApp, meta: InspectionMeta, state?: ViewState): (layer: number, data: Float32Array) => void {
  const { model, tokens } = meta;
  const attention = new LocalAttention({ T: tokens.length, heads: model.heads, layers: model.layers, special: tokens.map((t) => t.special), causal: model.causal });
  app.setInspection(meta, attention, state);
  return (layer, data) => {
    attention.addLayer(layer, data);
    app.layerArrived(layer);
  };
}
