// The inspection the views show: its tokens and model shape, which layers have been computed so far,
// and where its attention is asked for. The attention itself is not here: each view asks the
// AttentionData for what it draws (a pooled matrix, a row, thumbnails) and keeps only that.
import type { AttentionData } from '../../src/attention/localAttention';
import type { AttentionChoice, ModelInfo, Token } from '../../src/protocol';
import type { Aggregation } from '../state';

/** The shown positions: which token each row and column stands for once special tokens are hidden. */
export interface ShownPositions {
  kept: readonly number[];
  /** Token index → shown position, or -1 for a hidden token. */
  position: Int32Array;
}

/** The parts of the view state that pick a matrix. */
export interface MatrixChoice {
  layer: number;
  head: number;
  aggregation: Aggregation;
  hideSpecial: boolean;
}

export class ViewedInspection {
  readonly T: number;
  readonly heads: number;
  readonly layerCount: number;
  private readonly arrived: Uint8Array;
  private readonly special: Set<number>;
  private readonly positions = new Map<boolean, ShownPositions>();

  constructor(readonly model: ModelInfo, readonly tokens: readonly Token[], readonly data: AttentionData) {
    this.T = tokens.length;
    this.heads = model.heads;
    this.layerCount = model.layers;
    this.arrived = new Uint8Array(model.layers);
    this.special = new Set(tokens.flatMap((token, i) => (token.special ? [i] : [])));
  }

  /** Layer `layer` has been computed; throws a RangeError for a layer the model does not have. */
  layerArrived(layer: number): void {
    if (!Number.isInteger(layer) || layer < 0 || layer >= this.layerCount) {
      throw new RangeError(`layer ${layer} is outside 0..${this.layerCount - 1}`);
    }
    this.arrived[layer] = 1;
  }

  has(layer: number): boolean {
    return this.arrived[layer] === 1;
  }

  /** How many layers have been computed. */
  received(): number {
    return this.arrived.reduce((n, a) => n + a, 0);
  }

  /** The layers computed so far, in order. */
  arrivedLayers(): number[] {
    const layers: number[] = [];
    this.arrived.forEach((a, l) => a && layers.push(l));
    return layers;
  }

  /** The first layer in 0..upTo not computed yet: what the rollout through `upTo` still waits for. */
  firstMissing(upTo: number): number | undefined {
    for (let l = 0; l <= upTo; l++) if (!this.arrived[l]) return l;
    return undefined;
  }

  /** Whether token `i` is hidden when special tokens are hidden. */
  isSpecial(i: number): boolean {
    return this.special.has(i);
  }

  /** Whether hiding special tokens hides anything (then rows are renormalised). */
  hides(hideSpecial: boolean): boolean {
    return hideSpecial && this.special.size > 0;
  }

  /** The rows and columns shown with or without special tokens. */
  shown(hideSpecial: boolean): ShownPositions {
    const hide = this.hides(hideSpecial);
    let shown = this.positions.get(hide);
    if (!shown) {
      const kept = this.tokens.flatMap((_, i) => (hide && this.special.has(i) ? [] : [i]));
      const position = new Int32Array(this.T).fill(-1);
      kept.forEach((token, r) => (position[token] = r));
      shown = { kept, position };
      this.positions.set(hide, shown);
    }
    return shown;
  }

  /** The request's name for a choice; hiding is off when there is nothing to hide, so both ask alike. */
  choice({ layer, head, aggregation, hideSpecial }: MatrixChoice): AttentionChoice {
    return { layer, aggregation, head: aggregation === 'head' ? head : 0, hideSpecial: this.hides(hideSpecial) };
  }

  /** Why the matrix for `choice` cannot be shown yet: the first layer it needs that has not arrived. */
  waitingFor(choice: MatrixChoice): number | undefined {
    return choice.aggregation === 'rollout' ? this.firstMissing(choice.layer) : this.has(choice.layer) ? undefined : choice.layer;
  }
}
