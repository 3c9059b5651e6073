// The scale bench's page (bundled for Chromium): the panel's app mounted on a bare page, its data
// source posting each AttentionRequest to the bench's server (viewServer.ts), which asks the engine
// process, as the panel's go through the presenter. Every request is logged with its reply's size and
// times, so the bench can say what crossed to the page per interaction and how long until it was drawn.
import type { AttentionData } from '../../src/attention/localAttention';
import type { AttentionReply, AttentionRequest, ModelInfo, Token, ViewState } from '../../src/protocol';
import { mountAttentionApp, type AttentionApp } from '../../webview/app';
import { decodeReply } from './replyWire';

/** One request the page made: what it asked, the bytes of the reply, and when (performance.now()). */
export interface LoggedRequest {
  type: AttentionRequest['type'];
  reply?: AttentionReply['type'];
  bytes: number;
  askedAt: number;
  answeredAt?: number;
  /** Why it failed, when it did (the engine's error, or the view abandoning it). */
  error?: string;
}

/** One interaction as the page saw it (times in ms); NaN where the view never drew. */
export interface Drawn {
  /** Interaction → the end of the view's drawing after its reply. */
  ms: number;
  /** The view's last request → its reply on the page. */
  waitMs: number;
  /** The view's drawing (its performance.measure). */
  drawMs: number;
  /** Bytes of the view's replies, and of every reply since the interaction began. */
  viewBytes: number;
  allBytes: number;
  /** Why there is no drawing to time: the reply was not the view's (e.g. 'unavailable'), an error, or no request at all. */
  note?: string;
}

/** What the bench drives through page.evaluate. */
export interface ViewPage {
  log: LoggedRequest[];
  /** Requests asked and not answered yet. */
  inFlight(): number;
  show(meta: { model: ModelInfo; tokens: Token[]; text: string }, inspection: number): void;
  layerArrived(layer: number): void;
  done(): void;
  /** The shown inspection's size. */
  shape(): { layers: number; heads: number; T: number };
  state(): ViewState;
  setState(state: ViewState): void;
  highlightToken(index: number | null): void;
  /** Resolves after the next animation frame has run, i.e. after pending redraws. */
  frame(): Promise<void>;
  /** Starts timing an interaction: requests from here on count, the view's earlier measures are cleared. */
  begin(measure: string): void;
  /** Waits until the view has drawn the reply to its `request` asked since begin(), or gives up after `limitMs`. */
  drawn(request: AttentionRequest['type'], measure: string, limitMs: number): Promise<Drawn>;
}

declare global {
  interface Window {
    viewPage: ViewPage;
  }
}

// Mounted as the page loads, before any inspection, as the panel's page mounts it: an idle page is
// the panel open with nothing shown, and what the page takes above that is the inspection's.
const app: AttentionApp = mountAttentionApp(document.getElementById('root')!);
let shown = { layers: 0, heads: 0, T: 0 };
let pending = 0;
const log: LoggedRequest[] = [];
let began = { from: 0, start: 0 };
// Frames to wait for a view's request before concluding it made none (it had the reply already).
const NO_REQUEST_FRAMES = 60;

// The page's AttentionData: every request crosses to the engine and back, as in the panel.
function forwarded(inspection: number): AttentionData {
  return {
    async request(request, signal) {
      const entry: LoggedRequest = { type: request.type, bytes: 0, askedAt: performance.now() };
      log.push(entry);
      pending++;
      try {
        const response = await fetch('/view', { method: 'POST', body: JSON.stringify({ inspection, request }), signal });
        if (!response.ok) throw new Error(await response.text());
        const body = await response.arrayBuffer();
        const reply = decodeReply(body);
        Object.assign(entry, { reply: reply.type, bytes: body.byteLength, answeredAt: performance.now() });
        return reply;
      } catch (error) {
        Object.assign(entry, { error: error instanceof Error ? error.message : String(error), answeredAt: performance.now() });
        throw error;
      } finally {
        pending--;
      }
    },
  };
}

window.viewPage = {
  log,
  inFlight: () => pending,
  show(meta, inspection) {
    shown = { layers: meta.model.layers, heads: meta.model.heads, T: meta.tokens.length };
    app.setInspection(meta, forwarded(inspection));
  },
  layerArrived: (layer) => app.layerArrived(layer),
  done: () => app.done(),
  shape: () => shown,
  state: () => app.getState(),
  setState: (state) => app.setState(state),
  highlightToken: (index) => app.highlightToken(index),
  frame,
  begin(measure) {
    performance.clearMeasures(measure);
    began = { from: log.length, start: performance.now() };
  },
  async drawn(request, measure, limitMs) {
    for (let frames = 1; ; frames++) {
      await frame();
      const asked = log.slice(began.from);
      const mine = asked.filter((e) => e.type === request);
      const allBytes = asked.reduce((sum, e) => sum + e.bytes, 0);
      const none = { ms: NaN, waitMs: NaN, drawMs: NaN, viewBytes: 0, allBytes };
      if (mine.length === 0 && pending === 0 && frames >= NO_REQUEST_FRAMES) return { ...none, note: 'no request' };
      const last = mine[mine.length - 1];
      if (last?.answeredAt !== undefined && pending === 0) {
        const draws = performance.getEntriesByName(measure).filter((m) => m.startTime >= last.answeredAt!);
        const draw = draws[draws.length - 1];
        const note = last.error ?? (last.reply !== request ? last.reply : undefined);
        if (draw || note) {
          return {
            ms: draw ? draw.startTime + draw.duration - began.start : NaN, waitMs: last.answeredAt - last.askedAt,
            drawMs: draw?.duration ?? NaN, viewBytes: mine.reduce((sum, e) => sum + e.bytes, 0), allBytes, note,
          };
        }
      }
      if (performance.now() - began.start > limitMs) return { ...none, note: `no drawing within ${limitMs / 1000} s` };
    }
  },
};

function frame(): Promise<void> {
  return new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve())));
}
