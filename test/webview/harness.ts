// The test page's script: mounts the attention views on a bare page and lets the tests (through
// page.evaluate) start inspections and stream synthetic layers into them. Layers are kept in a
// LocalAttention, as the standalone page and the notebook renderer keep theirs; every request the
// views make is recorded, and replies can be held back and released in any order, as a slow
// transport would deliver them.
import { LocalAttention, type AttentionData } from '../../src/attention/localAttention';
import type { AttentionReply, AttentionRequest, TextWindow } from '../../src/protocol';
import { mountAttentionApp, type AttentionApp, type AttentionAppMessage } from '../../webview/app';
import { bundledStrings } from '../../webview/views/strings';
import { syntheticLayer, syntheticModel, syntheticText, type SyntheticSpec } from './synthetic';

/** A request the views made, as the tests see it. */
export interface AskedRequest {
  request: AttentionRequest;
  /** Whether the view gave up on it (a later request superseded it, or the inspection changed). */
  aborted: boolean;
  /** Whether its reply is held back (see hold). */
  held: boolean;
}

export interface Harness {
  app?: AttentionApp;
  spec?: SyntheticSpec;
  posted: AttentionAppMessage[];
  mount(options?: { locale?: string }): void;
  /**
   * `window`: the inspection is that window of a longer text. `continuation`: it is a continuation
   * with the host's id `id`, whose last two tokens were written, still being written or not.
   */
  inspect(spec: SyntheticSpec, window?: TextWindow, continuation?: { id: number; writing: boolean }): void;
  /** Sends layers [from, to) of the current spec. */
  layers(from: number, to: number): void;
  done(): void;
  /** Every request since the page loaded, oldest first. */
  requests(): AskedRequest[];
  /** From now on, replies wait until released. */
  hold(): void;
  /** Delivers the held replies of requests[i] for each i, in that order, then stops holding. */
  release(order?: number[]): Promise<void>;
  /** Resolves after the next animation frame has run, i.e. after pending redraws. */
  frame(): Promise<void>;
}

// Generated layers by spec and index: the bench replays the same inspection many times, and
// generating 12 layers of 512 tokens takes seconds.
const generated = new Map<string, Float32Array>();

const asked: (AskedRequest & { deliver?: () => void })[] = [];
let holding = false;
let local: LocalAttention | undefined;

/** The LocalAttention behind a recorder that logs each request and holds its reply while asked to. */
function recorded(inner: LocalAttention): AttentionData {
  return {
    request(request: AttentionRequest, signal?: AbortSignal): Promise<AttentionReply> {
      const entry: (typeof asked)[number] = { request: JSON.parse(JSON.stringify(request)) as AttentionRequest, aborted: false, held: holding };
      asked.push(entry);
      signal?.addEventListener('abort', () => (entry.aborted = true), { once: true });
      const reply = inner.request(request, signal);
      if (!entry.held) return reply;
      // A transport does not take back a reply already on its way: a held one comes even if aborted.
      reply.catch(() => undefined);
      return new Promise<void>((resolve) => (entry.deliver = resolve)).then(() => reply);
    },
  };
}

const harness: Harness = {
  posted: [],
  mount({ locale } = {}) {
    this.app?.dispose();
    // As the host does for a workbench in that language: the table filled from the l10n bundle.
    this.app = mountAttentionApp(document.getElementById('root')!, {
      locale,
      strings: locale ? bundledStrings(locale) : undefined,
      post: (message) => this.posted.push(message),
    });
  },
  inspect(spec, window, continuation) {
    this.spec = spec;
    const { text, tokens } = syntheticText(spec);
    const model = syntheticModel(spec);
    local = new LocalAttention({ T: tokens.length, heads: model.heads, layers: model.layers, special: tokens.map((t) => t.special), causal: model.causal });
    const generated = continuation && {
      from: tokens.length - 2, writing: continuation.writing,
      steps: tokens.slice(-2).map((t) => ({ p: 0.5, topk: [{ id: t.id, text: t.text, p: 0.5 }] })),
    };
    this.app!.setInspection({ model, tokens, text, window, id: continuation?.id, generated }, recorded(local));
  },
  layers(from, to) {
    for (let l = from; l < to; l++) {
      const key = `${JSON.stringify(this.spec)}#${l}`;
      if (!generated.has(key)) generated.set(key, syntheticLayer(this.spec!, l));
      local!.addLayer(l, generated.get(key)!);
      this.app!.layerArrived(l);
    }
  },
  done() {
    this.app!.done();
  },
  requests: () => asked.map(({ request, aborted, held }) => ({ request, aborted, held })),
  hold() {
    holding = true;
  },
  async release(order) {
    holding = false;
    const indices = order ?? asked.flatMap((entry, i) => (entry.deliver ? [i] : []));
    for (const i of indices) {
      asked[i].deliver?.();
      asked[i].deliver = undefined;
      // Let each reply land before the next, so the order is the one asked for.
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    await this.frame();
  },
  frame() {
    return new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve())));
  },
};

window.harness = harness;
