// What the matrix view says around its canvas: the caption (which matrix, and which part of it when
// zoomed), the colour scale, and notes on what the picture shows (hidden special tokens, the causal
// mask, pooling and how to zoom) or, while there is no picture, why.
import type { AttentionReply } from '../../src/protocol';
import type { FocusedViewState } from '../state';
import type { Theme } from '../theme';
import { heatLegend } from './legend';
import type { MatrixZoom } from './matrixZoom';
import type { Translate } from './strings';

/** "Layer 2, head 5", and when zoomed the tokens shown and how far: "… · queries 512–767 × keys 0–255, zoomed 8×". */
export function matrixCaption(t: Translate, state: FocusedViewState, zoom: MatrixZoom, kept: readonly number[]): string {
  const what =
    state.aggregation === 'head' ? t('matrix.caption.head', state.layer, state.head)
    : state.aggregation === 'rollout' ? t('matrix.caption.rollout', state.layer)
    : t(`matrix.caption.${state.aggregation}`, state.layer);
  if (zoom.whole) return what;
  const { q0, q1, k0, k1 } = zoom.window();
  const factor = zoom.factor >= 10 ? String(Math.round(zoom.factor)) : zoom.factor.toFixed(1).replace(/\.0$/, '');
  return `${what} · ${t('matrix.window', kept[q0], kept[q1 - 1], kept[k0], kept[k1 - 1], factor)}`;
}

export class MatrixNotes {
  readonly legend: HTMLElement;
  readonly notes: HTMLElement;
  private legendFor?: { theme: Theme; max: number };

  constructor(private readonly t: Translate) {
    this.legend = document.createElement('div');
    this.legend.className = 'al-legend-row';
    this.notes = document.createElement('div');
    this.notes.className = 'al-notes';
  }

  /** The scale from 0 to the reply's maximum in `theme`'s colours, and the notes on what it shows. */
  show(theme: Theme, reply: Extract<AttentionReply, { type: 'matrix' }>, zoom: MatrixZoom, renormalised: boolean, causal: boolean): void {
    const notes: string[] = [];
    if (renormalised) notes.push(this.t('matrix.renormalised'));
    if (causal) notes.push(this.t('matrix.causal'));
    const across = (reply.window.q1 - reply.window.q0) / Math.max(1, reply.rows);
    if (reply.pooled) notes.push(this.t('matrix.pooled', across >= 10 ? Math.round(across) : across.toFixed(1)));
    else if (!zoom.whole) notes.push(this.t('matrix.zoomed'));
    const max = reply.max;
    if (this.legendFor?.theme !== theme || this.legendFor.max !== max) {
      this.legendFor = { theme, max };
      this.legend.replaceChildren(...heatLegend(theme, max, this.t));
    }
    this.write(notes, 'al-note');
  }

  /** No picture: no scale, and `message` says why. */
  pending(message: string): void {
    this.legend.replaceChildren();
    this.legendFor = undefined;
    this.write([message], 'al-note al-pending');
  }

  private write(notes: string[], className: string): void {
    const key = `${className}\n${notes.join('\n')}`;
    if (this.notes.dataset.key === key) return;
    this.notes.dataset.key = key;
    this.notes.replaceChildren(...notes.map((note) => Object.assign(document.createElement('p'), { className, textContent: note })));
  }
}
