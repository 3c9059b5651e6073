// Every layer and head at once as a grid of thumbnails; clicking one (or Enter on the keyboard
// cursor) shows that layer and head in the other views. Thumbnails are max-pooled to a few dozen
// pixels once (again only on a resize or when special tokens are hidden or shown), recoloured from
// the pooled values on a theme change, and kept in one off-screen canvas, so selection changes only
// redraw outlines.
import type { FocusedViewState, ViewStateStore } from '../state';
import type { Theme } from '../theme';
import type { AttentionSource } from './attentionSource';
import { cssColor } from './color';
import { paintHeat, poolThumbnail } from './heatmap';
import { scratchCanvas, sizeCanvas, watchWidth } from './hiDpiCanvas';
import type { Translate } from './strings';

const GAP = 4;
const LEFT = 30;
const TOP = 18;
const MIN_SIDE = 16;
const MAX_SIDE = 72;
const FRAME_BUDGET_MS = 12;

export class ModelView {
  readonly element: HTMLElement;
  private readonly canvas: HTMLCanvasElement;
  private width = 480;
  private source?: AttentionSource;
  private theme?: Theme;
  private grid?: HTMLCanvasElement;
  private painted = new Uint8Array(0);
  private paintedFor = '';
  // Pooled values and their maximum per thumbnail (layer·heads + head), for recolouring.
  private pooled: { values: Float32Array; max: number }[] = [];
  private side = MIN_SIDE;
  private cursor: { layer: number; head: number } | null = null;
  private themeOf?: Theme;

  constructor(
    private readonly store: ViewStateStore,
    private readonly t: Translate,
    private readonly invalidate: () => void,
  ) {
    this.element = document.createElement('section');
    this.element.className = 'al-section al-model';
    const title = document.createElement('h2');
    title.textContent = t('model.title');
    const caption = Object.assign(document.createElement('p'), { className: 'al-caption', textContent: t('model.caption') });
    const wrap = document.createElement('div');
    wrap.className = 'al-canvas-wrap';
    this.canvas = document.createElement('canvas');
    this.canvas.tabIndex = 0;
    this.canvas.setAttribute('role', 'img');
    wrap.append(this.canvas);
    this.element.append(title, caption, wrap);

    watchWidth(wrap, (width) => {
      this.width = width;
      this.invalidate();
    });
    this.canvas.addEventListener('pointermove', (event) => {
      const cell = this.cellAt(event.offsetX, event.offsetY);
      this.canvas.title = cell ? this.t('model.cell', cell.layer, cell.head) : '';
    });
    this.canvas.addEventListener('click', (event) => {
      const cell = this.cellAt(event.offsetX, event.offsetY);
      if (cell) {
        this.cursor = cell;
        store.update({ layer: cell.layer, head: cell.head, aggregation: 'head' });
      }
    });
    this.canvas.addEventListener('keydown', (event) => this.onKey(event));
    this.canvas.addEventListener('blur', () => {
      this.cursor = null;
      this.invalidate();
    });
  }

  setInspection(source: AttentionSource): void {
    this.source = source;
    this.painted = new Uint8Array(source.layerCount * source.heads);
    this.pooled = [];
    this.cursor = null;
    this.canvas.setAttribute('aria-label', this.t('model.label', source.layerCount, source.heads));
  }

  setTheme(theme: Theme): void {
    this.theme = theme;
  }

  /** Marks a layer's thumbnails for repainting (its attention has just arrived). */
  layerArrived(layer: number): void {
    if (!this.source) return;
    this.painted.fill(0, layer * this.source.heads, (layer + 1) * this.source.heads);
    for (let h = 0; h < this.source.heads; h++) delete this.pooled[layer * this.source.heads + h];
  }

  render(state: FocusedViewState): void {
    const { source, theme } = this;
    if (!source || !theme) return;
    performance.mark('al-model-start');
    const { layerCount: L, heads: H } = source;
    this.side = Math.max(MIN_SIDE, Math.min(MAX_SIDE, Math.floor((this.width - LEFT) / H) - GAP));
    const side = this.side;
    const dpr = window.devicePixelRatio || 1;
    const px = Math.round(side * dpr);
    const key = `${px}:${state.hideSpecial}`;
    if (key !== this.paintedFor) this.pooled = [];
    if (key !== this.paintedFor || this.grid === undefined || this.themeOf !== theme) {
      this.paintedFor = key;
      this.themeOf = theme;
      this.painted.fill(0);
    }
    this.grid = scratchCanvas(this.grid, H * px, L * px);
    // Pooling 144 thumbnails of 512 tokens takes about 100 ms: spread over frames so the panel
    // stays responsive, showing each thumbnail as it is ready.
    if (this.paintThumbnails(source, theme, state.hideSpecial, px)) this.invalidate();

    const width = LEFT + H * (side + GAP);
    const height = TOP + L * (side + GAP);
    const ctx = sizeCanvas(this.canvas, width, height);
    // Where the thumbnails are, for tests and tools that point at one.
    this.canvas.dataset.side = String(side);
    this.canvas.dataset.origin = `${LEFT},${TOP},${GAP}`;
    ctx.fillStyle = cssColor(theme.background);
    ctx.fillRect(0, 0, width, height);
    ctx.font = `11px ${theme.fontFamily}`;
    ctx.fillStyle = cssColor(theme.muted);
    ctx.textBaseline = 'middle';
    ctx.textAlign = 'center';
    // Head numbers over columns, thinned when columns are too narrow for every number.
    const every = side < 22 ? 2 : 1;
    for (let h = 0; h < H; h += every) ctx.fillText(`H${h}`, LEFT + h * (side + GAP) + side / 2, TOP / 2);
    ctx.textAlign = 'right';
    for (let l = 0; l < L; l++) ctx.fillText(`L${l}`, LEFT - 6, TOP + l * (side + GAP) + side / 2);
    ctx.imageSmoothingEnabled = false;
    for (let l = 0; l < L; l++) {
      for (let h = 0; h < H; h++) {
        const x = LEFT + h * (side + GAP);
        const y = TOP + l * (side + GAP);
        if (this.painted[l * H + h]) {
          ctx.drawImage(this.grid, h * px, l * px, px, px, x, y, side, side);
        } else {
          ctx.strokeStyle = cssColor(theme.muted, 0.6);
          ctx.setLineDash([3, 3]);
          ctx.strokeRect(x + 0.5, y + 0.5, side - 1, side - 1);
          ctx.setLineDash([]);
        }
      }
    }
    ctx.lineWidth = 2;
    ctx.strokeStyle = cssColor(theme.focus);
    const sy = TOP + state.layer * (side + GAP) - 2;
    if (state.aggregation === 'head') ctx.strokeRect(LEFT + state.head * (side + GAP) - 2, sy, side + 4, side + 4);
    else ctx.strokeRect(LEFT - 2, sy, H * (side + GAP) - GAP + 4, side + 4);
    if (this.cursor) {
      ctx.strokeStyle = cssColor(theme.foreground);
      ctx.setLineDash([4, 2]);
      ctx.strokeRect(LEFT + this.cursor.head * (side + GAP) - 3, TOP + this.cursor.layer * (side + GAP) - 3, side + 6, side + 6);
      ctx.setLineDash([]);
    }
    this.element.dataset.painted = String(this.painted.reduce((n, p) => n + p, 0));
    performance.measure('attention-lens:model-view', 'al-model-start');
  }

  // Paints thumbnails not yet painted, until the frame's budget is spent; returns whether any are left.
  private paintThumbnails(source: AttentionSource, theme: Theme, hideSpecial: boolean, px: number): boolean {
    const ctx = this.grid!.getContext('2d')!;
    const image = ctx.createImageData(px, px);
    const deadline = performance.now() + FRAME_BUDGET_MS;
    let kept: number[] | undefined;
    for (let l = 0; l < source.layerCount; l++) {
      if (!source.has(l)) continue;
      for (let h = 0; h < source.heads; h++) {
        const index = l * source.heads + h;
        if (this.painted[index]) continue;
        if (performance.now() > deadline) return true;
        let pooled = this.pooled[index];
        if (!pooled) {
          kept ??= source.visibleTokens(hideSpecial);
          const values = new Float32Array(px * px);
          const max = poolThumbnail(source.rawHead(l, h)!, source.T, kept, hideSpecial && kept.length < source.T, px, values);
          pooled = this.pooled[index] = { values, max };
        }
        paintHeat(pooled.values, px, pooled.max, theme.heat, image);
        ctx.putImageData(image, h * px, l * px);
        this.painted[index] = 1;
      }
    }
    return false;
  }

  private cellAt(x: number, y: number): { layer: number; head: number } | null {
    if (!this.source) return null;
    const head = Math.floor((x - LEFT) / (this.side + GAP));
    const layer = Math.floor((y - TOP) / (this.side + GAP));
    const inside = (x - LEFT) % (this.side + GAP) < this.side && (y - TOP) % (this.side + GAP) < this.side;
    return inside && head >= 0 && layer >= 0 && head < this.source.heads && layer < this.source.layerCount ? { layer, head } : null;
  }

  private onKey(event: KeyboardEvent): void {
    const source = this.source;
    if (!source) return;
    const state = this.store.get();
    const cursor = this.cursor ?? { layer: state.layer, head: state.head };
    const moves: Record<string, [number, number]> = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
    const move = moves[event.key];
    if (move) {
      event.preventDefault();
      this.cursor = {
        layer: Math.max(0, Math.min(source.layerCount - 1, cursor.layer + move[0])),
        head: Math.max(0, Math.min(source.heads - 1, cursor.head + move[1])),
      };
      this.canvas.title = this.t('model.cell', this.cursor.layer, this.cursor.head);
      this.invalidate();
    } else if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      this.store.update({ layer: cursor.layer, head: cursor.head, aggregation: 'head' });
    }
  }
}
