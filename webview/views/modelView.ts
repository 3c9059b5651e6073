// Every layer and head at once as a grid of thumbnails; clicking one (or Enter on the keyboard
// cursor) shows that layer and head in the other views. Thumbnails are asked for as layers arrive,
// max-pooled to the thumbnail's device pixels (again only on a resize or when special tokens are
// hidden or shown), recoloured from the pooled values on a theme change, and kept in one off-screen
// canvas, so selection changes only redraw outlines.
import type { AttentionReply, AttentionRequest } from '../../src/protocol';
import type { FocusedViewState, ViewStateStore } from '../state';
import type { Theme } from '../theme';
import { cssColor } from './color';
import { paintHeat } from './heatmap';
import { scratchCanvas, sizeCanvas, watchWidth } from './hiDpiCanvas';
import { ReplySlot } from './replySlot';
import type { Translate } from './strings';
import type { ViewedInspection } from './viewedInspection';

const GAP = 4;
const LEFT = 30;
const TOP = 18;
const MIN_SIDE = 16;
const MAX_SIDE = 72;

export class ModelView {
  readonly element: HTMLElement;
  private readonly canvas: HTMLCanvasElement;
  private width = 480;
  private inspection?: ViewedInspection;
  private theme?: Theme;
  private grid?: HTMLCanvasElement;
  private painted = new Uint8Array(0);
  private paintedFor = '';
  // Pooled values, their side and their maximum per thumbnail (layer·heads + head), for recolouring.
  private pooled: { values: Float32Array; pixels: number; max: number }[] = [];
  // Layers whose thumbnails have been asked for at the present size and hiding.
  private asked = new Set<number>();
  private readonly replies = new ReplySlot((reply, request) => this.take(reply, request), { concurrent: true });
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

  /**
   * Shows `inspection`. With `keepThumbnails` (the same inspection, grown by written tokens) the
   * thumbnails already asked for stay, and are not asked again.
   */
  setInspection(inspection: ViewedInspection, keepThumbnails = false): void {
    const kept = keepThumbnails && this.inspection !== undefined && this.inspection.layerCount === inspection.layerCount && this.inspection.heads === inspection.heads;
    this.inspection = inspection;
    if (kept) return;
    this.replies.reset(inspection.data);
    this.painted = new Uint8Array(inspection.layerCount * inspection.heads);
    this.pooled = [];
    this.asked.clear();
    this.paintedFor = '';
    this.cursor = null;
    this.canvas.setAttribute('aria-label', this.t('model.label', inspection.layerCount, inspection.heads));
  }

  setTheme(theme: Theme): void {
    this.theme = theme;
  }

  render(state: FocusedViewState): void {
    const { inspection, theme } = this;
    if (!inspection || !theme) return;
    performance.mark('al-model-start');
    const { layerCount: L, heads: H } = inspection;
    this.side = Math.max(MIN_SIDE, Math.min(MAX_SIDE, Math.floor((this.width - LEFT) / H) - GAP));
    const side = this.side;
    const dpr = window.devicePixelRatio || 1;
    const px = Math.round(side * dpr);
    const hideSpecial = inspection.hides(state.hideSpecial);
    const key = `${px}:${hideSpecial}`;
    if (key !== this.paintedFor) {
      // Another size or hiding: what was asked for, and every thumbnail, is for another picture.
      this.replies.abandon();
      this.asked.clear();
      this.pooled = [];
    }
    if (key !== this.paintedFor || this.grid === undefined || this.themeOf !== theme) {
      this.paintedFor = key;
      this.themeOf = theme;
      this.painted.fill(0);
    }
    this.ask(inspection, px, hideSpecial);
    this.grid = scratchCanvas(this.grid, H * px, L * px);
    this.paintThumbnails(inspection, theme, px);

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

  // Asks for the thumbnails of the layers that have arrived and have not been asked for, in one request.
  private ask(inspection: ViewedInspection, pixels: number, hideSpecial: boolean): void {
    const layers = inspection.arrivedLayers().filter((l) => !this.asked.has(l));
    if (layers.length === 0) return;
    for (const l of layers) this.asked.add(l);
    const request: AttentionRequest = { type: 'thumbnails', layers, pixels, hideSpecial };
    const reply = this.replies.get(request);
    if (reply) this.take(reply, request);
  }

  // Keeps a reply's thumbnails, if it is for the picture shown now, to be painted at the next frame.
  private take(reply: AttentionReply, request: AttentionRequest): void {
    const inspection = this.inspection;
    if (!inspection || reply.type !== 'thumbnails' || request.type !== 'thumbnails') return;
    if (`${request.pixels}:${request.hideSpecial}` !== this.paintedFor) return;
    const { heads, pixels } = reply;
    const values = new Float32Array(reply.values);
    const max = new Float32Array(reply.max);
    reply.layers.forEach((l, i) => {
      for (let h = 0; h < Math.min(heads, inspection.heads); h++) {
        const index = l * inspection.heads + h;
        const at = (i * heads + h) * pixels * pixels;
        this.pooled[index] = { values: values.subarray(at, at + pixels * pixels), pixels, max: max[i * heads + h] };
        this.painted[index] = 0;
      }
    });
    this.invalidate();
  }

  // Paints the thumbnails that have arrived and are not painted yet into the off-screen grid.
  private paintThumbnails(inspection: ViewedInspection, theme: Theme, px: number): void {
    const ctx = this.grid!.getContext('2d')!;
    let image: ImageData | undefined;
    for (let index = 0; index < this.painted.length; index++) {
      const pooled = this.pooled[index];
      if (this.painted[index] || !pooled) continue;
      if (image?.width !== pooled.pixels) image = ctx.createImageData(pooled.pixels, pooled.pixels);
      paintHeat(pooled.values, pooled.max, theme.heat, image);
      const [l, h] = [Math.floor(index / inspection.heads), index % inspection.heads];
      if (pooled.pixels === px) {
        ctx.putImageData(image, h * px, l * px);
      } else {
        // The store pooled to another size than asked: scale it into the thumbnail's place.
        const scratch = scratchCanvas(undefined, pooled.pixels, pooled.pixels);
        scratch.getContext('2d')!.putImageData(image, 0, 0);
        ctx.imageSmoothingEnabled = false;
        ctx.drawImage(scratch, h * px, l * px, px, px);
      }
      this.painted[index] = 1;
    }
  }

  private cellAt(x: number, y: number): { layer: number; head: number } | null {
    if (!this.inspection) return null;
    const head = Math.floor((x - LEFT) / (this.side + GAP));
    const layer = Math.floor((y - TOP) / (this.side + GAP));
    const inside = (x - LEFT) % (this.side + GAP) < this.side && (y - TOP) % (this.side + GAP) < this.side;
    return inside && head >= 0 && layer >= 0 && head < this.inspection.heads && layer < this.inspection.layerCount ? { layer, head } : null;
  }

  private onKey(event: KeyboardEvent): void {
    const source = this.inspection;
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
