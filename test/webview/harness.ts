// The test page's script: mounts the attention views on a bare page and lets the tests (through
// page.evaluate) start inspections and stream synthetic layers into them.
import type { TextWindow } from '../../src/protocol';
import { mountAttentionApp, type AttentionApp, type AttentionAppMessage } from '../../webview/app';
import { createRolloutComputer } from '../../webview/rolloutComputer';
import { bundledStrings } from '../../webview/views/strings';
import { syntheticLayer, syntheticModel, syntheticText, type SyntheticSpec } from './synthetic';

export interface Harness {
  app?: AttentionApp;
  spec?: SyntheticSpec;
  posted: AttentionAppMessage[];
  /** worker: start the rollout worker (from a Blob URL of its bundled source), as the panel does. */
  mount(options?: { locale?: string; worker?: boolean }): void;
  /** `window`: the inspection is that window of a longer text. */
  inspect(spec: SyntheticSpec, window?: TextWindow): void;
  /** Sends layers [from, to) of the current spec. */
  layers(from: number, to: number): void;
  done(): void;
  /** The rollout of layers [0, count) of a spec as the app computes it, with or without the worker. */
  rollout(spec: SyntheticSpec, count: number, worker: boolean): Promise<{ via?: string; byLayer: number[][] }>;
  /** Resolves after the next animation frame has run, i.e. after pending redraws. */
  frame(): Promise<void>;
}

// Generated layers by spec and index: the bench replays the same inspection many times, and
// generating 12 layers of 512 tokens takes seconds.
const generated = new Map<string, Float32Array>();

let workerUrl: string | undefined;

const harness: Harness = {
  posted: [],
  mount({ locale, worker } = {}) {
    this.app?.dispose();
    workerUrl ??= URL.createObjectURL(new Blob([window.rolloutWorkerSource], { type: 'text/javascript' }));
    // As the host does for a workbench in that language: the table filled from the l10n bundle.
    this.app = mountAttentionApp(document.getElementById('root')!, {
      locale,
      strings: locale ? bundledStrings(locale) : undefined,
      workerUrl: worker ? workerUrl : undefined,
      post: (message) => this.posted.push(message),
    });
  },
  inspect(spec, window) {
    this.spec = spec;
    const { text, tokens } = syntheticText(spec);
    this.app!.setInspection({ model: syntheticModel(spec), tokens, text, window });
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
  async rollout(spec, count, worker) {
    workerUrl ??= URL.createObjectURL(new Blob([window.rolloutWorkerSource], { type: 'text/javascript' }));
    const computer = createRolloutComputer(worker ? workerUrl : undefined);
    const layers = Array.from({ length: count }, (_, l) => syntheticLayer(spec, l));
    const byLayer = await computer.compute(layers, spec.heads, spec.tokens);
    computer.dispose();
    return { via: computer.via, byLayer: (byLayer ?? []).map((m) => Array.from(m)) };
  },
  frame() {
    return new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve())));
  },
};

window.harness = harness;
