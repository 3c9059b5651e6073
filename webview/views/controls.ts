// The toolbar: layer and head pickers, the aggregation dropdown and the two toggles, all VS Code
// webview controls so they look and behave (keyboard, high contrast) like the rest of the editor.
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-label/index.js';
import type { VscodeSingleSelect } from '@vscode-elements/elements/dist/vscode-single-select/index.js';
import type { VscodeCheckbox } from '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import { AGGREGATIONS, type Aggregation, type FocusedViewState, type ViewStateStore } from '../state';
import type { StringKey, Translate } from './strings';

let nextId = 0;

export class Controls {
  readonly element: HTMLElement;
  private readonly layer: VscodeSingleSelect;
  private readonly head: VscodeSingleSelect;
  private readonly aggregation: VscodeSingleSelect;
  private readonly received: VscodeCheckbox;
  private readonly hideSpecial: VscodeCheckbox;
  private layerOptions: HTMLElement[] = [];

  constructor(private readonly store: ViewStateStore, private readonly t: Translate) {
    this.element = document.createElement('div');
    this.element.className = 'al-toolbar';
    this.element.setAttribute('role', 'group');
    this.element.setAttribute('aria-label', t('controls.label'));
    this.layer = this.select('controls.layer', (value) => store.update({ layer: Number(value) }));
    this.head = this.select('controls.head', (value) => store.update({ head: Number(value) }));
    this.aggregation = this.select('controls.aggregation', (value) => store.update({ aggregation: value as Aggregation }));
    this.aggregation.classList.add('al-wide');
    this.aggregation.append(...AGGREGATIONS.map((a) => option(a, t(`aggregation.${a}` as StringKey))));
    this.received = this.checkbox('controls.received', (checked) => store.update({ received: checked }));
    this.hideSpecial = this.checkbox('controls.hideSpecial', (checked) => store.update({ hideSpecial: checked }));
  }

  /** Fills the layer and head pickers for a model; layers stay disabled until they arrive. */
  setShape(layers: number, heads: number, has: (layer: number) => boolean): void {
    this.layerOptions = Array.from({ length: layers }, (_, l) => {
      const o = option(String(l), this.t('option.layer', l));
      o.toggleAttribute('disabled', !has(l));
      return o;
    });
    this.layer.replaceChildren(...this.layerOptions);
    this.head.replaceChildren(...Array.from({ length: heads }, (_, h) => option(String(h), this.t('option.head', h))));
    this.sync(this.store.get());
  }

  /** Enables a layer's option once its attention has arrived. */
  layerArrived(layer: number): void {
    this.layerOptions[layer]?.removeAttribute('disabled');
  }

  /** Shows the state in the controls (after a click in another view, or a restored state). */
  sync(state: FocusedViewState): void {
    setValue(this.layer, String(state.layer));
    setValue(this.head, String(state.head));
    setValue(this.aggregation, state.aggregation);
    // The head picker means nothing when the matrix aggregates over heads.
    this.head.disabled = state.aggregation !== 'head';
    if (this.received.checked !== state.received) this.received.checked = state.received;
    if (this.hideSpecial.checked !== state.hideSpecial) this.hideSpecial.checked = state.hideSpecial;
  }

  private select(labelKey: StringKey, onChange: (value: string) => void): VscodeSingleSelect {
    const id = `al-control-${nextId++}`;
    const field = document.createElement('div');
    field.className = 'al-field';
    const label = document.createElement('vscode-label');
    label.htmlFor = id;
    label.textContent = this.t(labelKey);
    const select = document.createElement('vscode-single-select');
    select.id = id;
    select.setAttribute('label', this.t(labelKey));
    select.addEventListener('change', () => onChange(select.value));
    field.append(label, select);
    this.element.append(field);
    return select;
  }

  private checkbox(labelKey: StringKey, onChange: (checked: boolean) => void): VscodeCheckbox {
    const box = document.createElement('vscode-checkbox');
    box.label = this.t(labelKey);
    box.className = 'al-toggle';
    box.addEventListener('change', () => onChange(box.checked));
    this.element.append(box);
    return box;
  }
}

function option(value: string, text: string): HTMLElement {
  const o = document.createElement('vscode-option');
  o.setAttribute('value', value);
  o.textContent = text;
  return o;
}

function setValue(select: VscodeSingleSelect, value: string): void {
  if (select.value !== value) select.value = value;
}
