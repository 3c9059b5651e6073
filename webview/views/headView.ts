// BertViz's head view on a canvas: queries on the left, keys on the right, a line for each weight
// with the weight as its opacity and one colour per head (the lines themselves: headLines.ts).
// Heads toggle on and off; hovering, arrowing or locking a token keeps only its lines. With no token
// active it asks for the layer's strongest links within a line budget; with one, for every head's row
// of that token. The rows scroll under a canvas only as big as the part in view (viewportCanvas.ts).
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import type { VscodeCheckbox } from '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import type { AttentionReply, AttentionRequest } from '../../src/protocol';
import { headColor } from '../palette';
import { drawHeadLines, lineBudget, linesOfLinks, linesOfRows } from './headLines';
import { activeToken, type FocusedViewState, type ViewStateStore } from '../state';
import type { Theme } from '../theme';
import { cssColor } from './color';
import { tokenLabel } from './format';
import { fitText, scratchCanvas, watchWidth } from './hiDpiCanvas';
import { ReplySlot } from './replySlot';
import type { Translate } from './strings';
import { ViewportCanvas, type PictureSlice } from './viewportCanvas';
import type { ViewedInspection } from './viewedInspection';

const PAD = 8;
/** The tallest canvas Chromium draws on, in device pixels. */
const MAX_CANVAS_PX = 32_767;

/** Which row each token is on and how tall the rows are. */
interface Rows {
  kept: readonly number[];
  position: Int32Array;
  rowHeight: number;
}

/** The whole picture's height in CSS pixels: every row, with the pad above and below. */
function pictureHeight(rows: Rows): number {
  return PAD * 2 + rows.kept.length * rows.rowHeight;
}

/** What a drawing shows: redrawn as it is when the view scrolls while the next one's lines are on their way. */
interface Picture {
  state: FocusedViewState;
  reply: AttentionReply | undefined;
  heads: number[];
  at: number;
  rows: Rows;
  width: number;
}

export class HeadView {
  readonly element: HTMLElement;
  private readonly caption: HTMLElement;
  private readonly toggles: HTMLElement;
  private readonly viewport: ViewportCanvas;
  private readonly scroller: HTMLElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly empty: HTMLElement;
  private boxes: VscodeCheckbox[] = [];
  private width = 420;
  private inspection?: ViewedInspection;
  private labels: string[] = [];
  private theme?: Theme;
  private readonly replies = new ReplySlot(() => this.invalidate(), { keep: 8 });
  private snapshot?: { key: string; theme: Theme; reply: AttentionReply; canvas: HTMLCanvasElement; caption: string };
  private rows: Rows | undefined;
  private shown?: Picture;

  constructor(
    private readonly store: ViewStateStore,
    private readonly t: Translate,
    private readonly invalidate: () => void,
    private readonly onLock: (index: number) => void,
  ) {
    this.element = document.createElement('section');
    this.element.className = 'al-section al-heads';
    const title = document.createElement('h2');
    title.textContent = t('heads.title');
    this.caption = document.createElement('p');
    this.caption.className = 'al-caption';
    this.toggles = document.createElement('div');
    this.toggles.className = 'al-head-toggles';
    this.toggles.setAttribute('role', 'group');
    this.toggles.setAttribute('aria-label', t('heads.toggles'));
    this.empty = Object.assign(document.createElement('p'), { className: 'al-note', textContent: t('heads.noneShown'), hidden: true });
    // The rows scroll; the canvas covers only the part in view and is redrawn as it scrolls.
    this.viewport = new ViewportCanvas('al-heads-scroll', () => this.invalidate());
    this.scroller = this.viewport.scroller;
    this.canvas = this.viewport.canvas;
    this.canvas.tabIndex = 0;
    this.canvas.setAttribute('role', 'img');
    this.canvas.setAttribute('aria-label', t('heads.label'));
    this.element.append(title, this.caption, this.toggles, this.empty, this.scroller);

    watchWidth(this.scroller, (width) => {
      this.width = width;
      this.invalidate();
    });
    this.canvas.addEventListener('pointermove', (event) => {
      const token = this.tokenAt(event.offsetY);
      if (token !== undefined) store.update({ focus: token });
    });
    this.canvas.addEventListener('pointerleave', () => store.update({ focus: null }));
    this.canvas.addEventListener('click', (event) => {
      const token = this.tokenAt(event.offsetY);
      if (token !== undefined) this.toggleLock(token);
    });
    this.canvas.addEventListener('keydown', (event) => this.onKey(event));
    this.canvas.addEventListener('focus', () => {
      const state = store.get();
      if (state.focus === null) store.update({ focus: state.locked ?? this.rows?.kept[0] ?? null });
    });
  }

  setInspection(inspection: ViewedInspection, text?: string): void {
    this.inspection = inspection;
    this.replies.reset(inspection.data);
    this.snapshot = undefined;
    this.shown = undefined;
    this.labels = inspection.tokens.map((token) => tokenLabel(token, text));
    this.boxes = Array.from({ length: inspection.heads }, (_, h) => {
      const box = document.createElement('vscode-checkbox');
      box.label = this.t('option.head', h);
      box.checked = true;
      box.dataset.head = String(h);
      box.addEventListener('change', () => {
        const hidden = new Set(this.store.get().hiddenHeads);
        if (box.checked) hidden.delete(h);
        else hidden.add(h);
        this.store.update({ hiddenHeads: [...hidden].sort((a, b) => a - b) });
      });
      return box;
    });
    this.toggles.replaceChildren(
      ...this.boxes.map((box, h) => {
        const item = document.createElement('span');
        item.className = 'al-head-toggle';
        const swatch = document.createElement('span');
        swatch.className = 'al-swatch';
        swatch.style.backgroundColor = headColor(h);
        item.append(swatch, box);
        return item;
      }),
    );
  }

  setTheme(theme: Theme): void {
    this.theme = theme;
  }

  render(state: FocusedViewState): void {
    const { inspection, theme } = this;
    if (!inspection || !theme) return;
    performance.mark('al-heads-start');
    const hidden = new Set(state.hiddenHeads);
    this.boxes.forEach((box, h) => {
      if (box.checked === hidden.has(h)) box.checked = !hidden.has(h);
    });
    const heads = Array.from({ length: inspection.heads }, (_, h) => h).filter((h) => !hidden.has(h));
    this.empty.hidden = heads.length > 0;
    const { kept, position } = inspection.shown(state.hideSpecial);
    const active = activeToken(state);
    const at = active === null ? -1 : position[active];
    const hideSpecial = inspection.hides(state.hideSpecial);
    const request: AttentionRequest | undefined =
      heads.length === 0 ? undefined
      : at >= 0 ? { type: 'headRows', layer: state.layer, token: active!, received: state.received, hideSpecial }
      : { type: 'links', layer: state.layer, heads, hideSpecial, budget: lineBudget(kept.length) };
    const reply = request && this.replies.get(request);
    const n = kept.length;
    const rowHeight = n <= 48 ? 20 : Math.max(4, Math.min(20, Math.floor(6000 / n)));
    this.rows = { kept, position, rowHeight };
    // Until the lines arrive the canvas keeps what it shows (scrolled along with the rows), unless
    // the layer is not there at all.
    const waiting = request && !reply && inspection.has(state.layer);
    const picture = waiting ? this.shown : { state, reply, heads, at, rows: this.rows, width: Math.max(240, this.width) };
    if (!picture || (waiting && !this.viewport.moved())) return;
    this.shown = picture;
    const { ctx, slice } = this.viewport.draw(picture.width, pictureHeight(picture.rows));
    // The all-lines picture (no token active) is the slow one, and the pointer returns to it each
    // time it leaves a token: keep a copy, keyed by the reply and the part of the rows it shows.
    const snapshotKey = [this.canvas.width, this.canvas.height, slice.top, picture.rows.kept.length, picture.state.locked ?? -1].join('|');
    const all = picture.at < 0 ? picture.reply : undefined;
    if (all && this.snapshot?.reply === all && this.snapshot.key === snapshotKey && this.snapshot.theme === theme) {
      ctx.save();
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.drawImage(this.snapshot.canvas, 0, 0);
      ctx.restore();
      if (this.caption.textContent !== this.snapshot.caption) this.caption.textContent = this.snapshot.caption;
    } else {
      const caption = this.draw(ctx, theme, picture, slice);
      if (all) {
        const canvas = scratchCanvas(this.snapshot?.canvas, this.canvas.width, this.canvas.height);
        const copy = canvas.getContext('2d')!;
        copy.clearRect(0, 0, canvas.width, canvas.height);
        copy.drawImage(this.canvas, 0, 0);
        this.snapshot = { key: snapshotKey, theme, reply: all, canvas, caption };
      }
    }
    // Where the rows are, for readers of the pixels: the pad above row 0, the row height, the picture's y at the canvas's top.
    this.canvas.dataset.rows = [PAD, picture.rows.rowHeight, slice.top].join(',');
    this.element.dataset.heads = picture.heads.join(',');
    performance.measure('attention-lens:head-view', 'al-heads-start');
  }

  /**
   * The whole picture, every row rather than those in view, on a canvas of its own for Export View
   * as PNG (let go once encoded); undefined before anything is drawn. Past Chromium's largest canvas
   * it is drawn at a smaller scale than the screen's, not cut off.
   */
  exportCanvas(): HTMLCanvasElement | undefined {
    const { shown: picture, theme } = this;
    if (!picture || !theme) return undefined;
    const height = pictureHeight(picture.rows);
    const scale = Math.min(window.devicePixelRatio || 1, MAX_CANVAS_PX / height);
    const canvas = document.createElement('canvas');
    canvas.width = Math.max(1, Math.round(picture.width * scale));
    canvas.height = Math.max(1, Math.round(height * scale));
    const ctx = canvas.getContext('2d')!;
    ctx.setTransform(scale, 0, 0, scale, 0, 0);
    this.draw(ctx, theme, picture, { top: 0, height });
    return canvas;
  }

  // Draws the lines and the token columns of the rows in `slice` (every line that crosses it, from
  // whichever rows); returns the caption it set.
  private draw(ctx: CanvasRenderingContext2D, theme: Theme, { state, reply, heads, at, rows, width }: Picture, slice: PictureSlice): string {
    const { kept, position, rowHeight } = rows;
    ctx.fillStyle = cssColor(theme.background);
    ctx.fillRect(0, slice.top, width, slice.height);
    const fontSize = Math.min(12, rowHeight - 2);
    ctx.font = `${fontSize}px ${theme.monoFamily}`;
    const column = Math.min(width * 0.3, 140);
    const y = (r: number) => PAD + (r + 0.5) * rowHeight;
    let thinned = false;
    if (reply?.type === 'links') {
      drawHeadLines(ctx, theme, linesOfLinks(reply, position), column + 6, width - column - 6, y);
      thinned = reply.thinned;
    } else if (reply?.type === 'headRows') {
      drawHeadLines(ctx, theme, linesOfRows(reply, heads, at, state.received, position), column + 6, width - column - 6, y);
    }
    const waiting = heads.length > 0 && !this.inspection!.has(state.layer);
    const caption = waiting ? this.t('matrix.waitingLayer', state.layer) : this.t('heads.caption', state.layer) + (thinned ? ' ' + this.t('heads.thinned') : '');
    if (this.caption.textContent !== caption) this.caption.textContent = caption;
    if (fontSize >= 8) {
      const first = Math.max(0, Math.floor((slice.top - PAD) / rowHeight));
      const last = Math.min(kept.length, Math.ceil((slice.top + slice.height - PAD) / rowHeight));
      this.drawTokens(ctx, theme, { kept, first, last, rowHeight }, at, column, width, fontSize);
    }
    if (state.locked !== null && position[state.locked] >= 0) {
      ctx.strokeStyle = cssColor(theme.focus);
      ctx.lineWidth = 2;
      const r = position[state.locked];
      ctx.strokeRect(1, PAD + r * rowHeight, column - 2, rowHeight);
      ctx.strokeRect(width - column + 1, PAD + r * rowHeight, column - 2, rowHeight);
    }
    return caption;
  }

  // The token labels of rows [first, last) down both sides, the active one emphasised.
  private drawTokens(
    ctx: CanvasRenderingContext2D,
    theme: Theme,
    { kept, first, last, rowHeight }: { kept: readonly number[]; first: number; last: number; rowHeight: number },
    at: number,
    column: number,
    width: number,
    fontSize: number,
  ): void {
    const y = (r: number) => PAD + (r + 0.5) * rowHeight;
    ctx.font = `${fontSize}px ${theme.monoFamily}`;
    ctx.textBaseline = 'middle';
    for (let r = first; r < last; r++) {
      const token = kept[r];
      const label = fitText(ctx, this.labels[token], column - 8);
      const emphasised = r === at;
      if (emphasised && theme.highContrast) {
        // High-contrast themes mark focus with borders, never fills that text must sit on.
        ctx.strokeStyle = cssColor(theme.focus);
        ctx.lineWidth = 1;
        ctx.strokeRect(0.5, PAD + r * rowHeight + 0.5, column - 1, rowHeight - 1);
        ctx.strokeRect(width - column + 0.5, PAD + r * rowHeight + 0.5, column - 1, rowHeight - 1);
      } else if (emphasised) {
        ctx.fillStyle = cssColor(theme.focus, 0.35);
        ctx.fillRect(0, PAD + r * rowHeight, column, rowHeight);
        ctx.fillRect(width - column, PAD + r * rowHeight, column, rowHeight);
      }
      ctx.fillStyle = cssColor(at >= 0 && !emphasised ? theme.muted : theme.foreground);
      ctx.textAlign = 'right';
      ctx.fillText(label, column - 4, y(r));
      ctx.textAlign = 'left';
      ctx.fillText(label, width - column + 4, y(r));
    }
  }

  private tokenAt(offsetY: number): number | undefined {
    if (!this.rows) return undefined;
    const r = Math.floor((this.viewport.pictureY(offsetY) - PAD) / this.rows.rowHeight);
    return r >= 0 && r < this.rows.kept.length ? this.rows.kept[r] : undefined;
  }

  private toggleLock(token: number): void {
    const locked = this.store.get().locked === token ? null : token;
    this.store.update({ locked, focus: token });
    if (locked !== null) this.onLock(locked);
  }

  private onKey(event: KeyboardEvent): void {
    const rows = this.rows;
    if (!rows || rows.kept.length === 0) return;
    const state = this.store.get();
    const current = state.focus ?? state.locked ?? rows.kept[0];
    const r = Math.max(0, rows.position[current]);
    const delta = event.key === 'ArrowDown' ? 1 : event.key === 'ArrowUp' ? -1 : 0;
    if (delta !== 0) {
      event.preventDefault();
      const next = Math.max(0, Math.min(rows.kept.length - 1, r + delta));
      this.store.update({ focus: rows.kept[next] });
      // Keep the row in view inside the scrolling column.
      const top = PAD + next * rows.rowHeight;
      if (top < this.scroller.scrollTop) this.scroller.scrollTop = top - PAD;
      else if (top + rows.rowHeight > this.scroller.scrollTop + this.scroller.clientHeight) this.scroller.scrollTop = top + rows.rowHeight - this.scroller.clientHeight + PAD;
    } else if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      this.toggleLock(rows.kept[r]);
    } else if (event.key === 'Escape') {
      event.preventDefault();
      this.store.update({ locked: null });
    }
  }
}
