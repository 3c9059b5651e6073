// The test page's script: mounts the attention views on a bare page and lets the tests (through
// page.evaluate) start inspections and stream synthetic layers into them.
import { mountAttentionApp, type AttentionApp, type AttentionAppMessage } from '../../webview/app';
import { syntheticLayer, syntheticModel, syntheticText, type SyntheticSpec } from './synthetic';

export interface Harness {
  app?: AttentionApp;
  spec?: SyntheticSpec;
  posted: AttentionAppMessage[];
  mount(options?: { locale?: string }): void;
  inspect(spec: SyntheticSpec): void;
  /** Sends layers [from, to) of the current spec. */
  layers(from: number, to: number): void;
  done(): void;
  /** Resolves after the next animation frame has run, i.e. after pending redraws. */
  frame(): Promise<void>;
}

// Generated layers by spec and index: the bench replays the same inspection many times, and
// generating 12 layers of 512 tokens takes seconds.
const generated = new Map<string, Float32Array>();

const harness: Harness = {
  posted: [],
  mount(options = {}) {
    this.app?.dispose();
    this.app = mountAttentionApp(document.getElementById('root')!, { ...options, post: (message) => this.posted.push(message) });
  },
  inspect(spec) {
    this.spec = spec;
    const { text, tokens } = syntheticText(spec);
    this.app!.setInspection({ model: syntheticModel(spec), tokens, text });
  },
  layers(from, to) {
    for (let l = from; l < to; l++) {
      const key = `${JSON.stringify(this.spec)}#${l}`;
      if (!generated.has(key)) generated.set(key, syntheticLayer(this.spec!, l));
      this.app!.addLayer(l, generated.get(key)!);
    }
  },
  done() {
    this.app!.done();
  },
  frame() {
    return new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve())));
  },
};

window.harness = harness;
