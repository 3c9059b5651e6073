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
}

declare global {
  interface Window {
    viewPage: ViewPage;
  }
}

let app: AttentionApp | undefined;
let shown = { layers: 0, heads: 0, T: 0 };
let pending = 0;
const log: LoggedRequest[] = [];

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
    app ??= mountAttentionApp(document.getElementById('root')!);
    shown = { layers: meta.model.layers, heads: meta.model.heads, T: meta.tokens.length };
    app.setInspection(meta, forwarded(inspection));
  },
  layerArrived: (layer) => app!.layerArrived(layer),
  done: () => app!.done(),
  shape: () => shown,
  state: () => app!.getState(),
  setState: (state) => app!.setState(state),
  highlightToken: (index) => app!.highlightToken(index),
  frame: () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve()))),
};
