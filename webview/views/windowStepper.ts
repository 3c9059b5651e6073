// "Window 2 of 5 · tokens 385–896 of 1 700" with previous and next buttons: shown when a text longer
// than the model's context is inspected in windows. The buttons ask the host for another window;
// the panel shows it when its inspection arrives. Left and right arrows step too while the focus is
// on the group; Tab and Enter or Space reach and press each button.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import type { TextWindow } from '../../src/protocol';
import type { Translate } from './strings';

export class WindowStepper {
  readonly element: HTMLElement;
  private readonly label: HTMLElement;
  private readonly previous: HTMLElement;
  private readonly next: HTMLElement;
  private window: TextWindow | undefined;

  constructor(private readonly t: Translate, private readonly onStep: (index: number) => void) {
    this.element = document.createElement('div');
    this.element.className = 'al-windows';
    this.element.setAttribute('role', 'group');
    this.element.setAttribute('aria-label', t('window.group'));
    this.label = document.createElement('span');
    this.label.className = 'al-window-label';
    // Read out when another window arrives, so stepping by keyboard says where it landed.
    this.label.setAttribute('aria-live', 'polite');
    this.previous = this.button('window.previous', '‹', -1);
    this.next = this.button('window.next', '›', +1);
    this.element.append(this.previous, this.label, this.next);
    this.element.addEventListener('keydown', (event) => {
      if (event.key !== 'ArrowLeft' && event.key !== 'ArrowRight') return;
      event.preventDefault();
      this.step(event.key === 'ArrowLeft' ? -1 : +1);
    });
    this.element.hidden = true;
  }

  /** Shows which window the panel shows; hidden for a text inspected whole. */
  show(window: TextWindow | undefined): void {
    this.window = window;
    this.element.hidden = !window || window.count <= 1;
    if (!window || this.element.hidden) return;
    this.element.dataset.window = String(window.index);
    this.label.textContent = this.t('window.position', window.index + 1, window.count, window.firstToken + 1, window.endToken, window.textTokens);
    setDisabled(this.previous, window.index === 0);
    setDisabled(this.next, window.index === window.count - 1);
  }

  private step(delta: number): void {
    const window = this.window;
    if (!window) return;
    const index = window.index + delta;
    if (index >= 0 && index < window.count) this.onStep(index);
  }

  private button(key: 'window.previous' | 'window.next', glyph: string, delta: number): HTMLElement {
    const button = document.createElement('vscode-button');
    button.className = 'al-window-step';
    button.setAttribute('secondary', '');
    button.setAttribute('aria-label', this.t(key));
    button.title = this.t(key);
    button.dataset.step = delta < 0 ? 'previous' : 'next';
    button.textContent = glyph;
    button.addEventListener('click', () => this.step(delta));
    return button;
  }
}

function setDisabled(button: HTMLElement, disabled: boolean): void {
  button.toggleAttribute('disabled', disabled);
  button.setAttribute('aria-disabled', String(disabled));
}
