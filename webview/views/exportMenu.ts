// The toolbar's "Export" menu button: a VS Code button that opens a small menu (the WAI-ARIA menu
// button pattern): Enter, Space or Down opens it on the first item, Up on the last; arrows, Home and
// End move; Enter or a click picks; Escape or Tab closes and gives the focus back to the button.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import type { StringKey, Translate } from './strings';

/** What the menu exports: a view's canvas as PNG, or the whole report as JSON. */
export type ExportChoice = 'matrix' | 'heads' | 'model' | 'report';

const ITEMS: { choice: ExportChoice; key: StringKey }[] = [
  { choice: 'matrix', key: 'export.matrix' },
  { choice: 'heads', key: 'export.heads' },
  { choice: 'model', key: 'export.model' },
  { choice: 'report', key: 'export.report' },
];

let nextId = 0;

export class ExportMenu {
  readonly element: HTMLElement;
  private readonly button: HTMLElement;
  private readonly menu: HTMLElement;
  private readonly items: HTMLButtonElement[];

  constructor(t: Translate, private readonly onChoose: (choice: ExportChoice) => void) {
    const id = `al-export-menu-${nextId++}`;
    this.element = document.createElement('div');
    this.element.className = 'al-export';
    this.button = document.createElement('vscode-button');
    this.button.className = 'al-export-button';
    this.button.setAttribute('secondary', '');
    this.button.setAttribute('aria-haspopup', 'menu');
    this.button.setAttribute('aria-expanded', 'false');
    this.button.setAttribute('aria-controls', id);
    this.button.textContent = t('export.button');
    this.menu = document.createElement('div');
    this.menu.id = id;
    this.menu.className = 'al-export-menu';
    this.menu.setAttribute('role', 'menu');
    this.menu.setAttribute('aria-label', t('export.button'));
    this.menu.hidden = true;
    this.items = ITEMS.map(({ choice, key }) => {
      const item = document.createElement('button');
      item.type = 'button';
      item.className = 'al-export-item';
      item.setAttribute('role', 'menuitem');
      item.tabIndex = -1;
      item.dataset.export = choice;
      item.textContent = t(key);
      item.addEventListener('click', () => this.choose(choice));
      return item;
    });
    this.menu.append(...this.items);
    this.element.append(this.button, this.menu);

    this.button.addEventListener('click', () => (this.menu.hidden ? this.open(0) : this.close(true)));
    this.button.addEventListener('keydown', (event) => {
      if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
        event.preventDefault();
        this.open(event.key === 'ArrowDown' ? 0 : this.items.length - 1);
      }
    });
    this.menu.addEventListener('keydown', (event) => this.onKey(event));
    // A click or focus anywhere else closes the menu.
    this.element.addEventListener('focusout', (event) => {
      if (!this.element.contains(event.relatedTarget as Node | null)) this.close(false);
    });
  }

  /** Whether the menu is open. */
  get isOpen(): boolean {
    return !this.menu.hidden;
  }

  private open(index: number): void {
    this.menu.hidden = false;
    this.button.setAttribute('aria-expanded', 'true');
    this.items[index]?.focus();
  }

  private close(focusButton: boolean): void {
    if (this.menu.hidden) return;
    this.menu.hidden = true;
    this.button.setAttribute('aria-expanded', 'false');
    if (focusButton) this.button.focus();
  }

  private choose(choice: ExportChoice): void {
    this.close(true);
    this.onChoose(choice);
  }

  private onKey(event: KeyboardEvent): void {
    const at = this.items.indexOf(document.activeElement as HTMLButtonElement);
    const move = (index: number) => this.items[(index + this.items.length) % this.items.length].focus();
    switch (event.key) {
      case 'ArrowDown':
        move(at + 1);
        break;
      case 'ArrowUp':
        move(at - 1);
        break;
      case 'Home':
        move(0);
        break;
      case 'End':
        move(this.items.length - 1);
        break;
      case 'Escape':
        this.close(true);
        break;
      case 'Tab':
        this.close(false);
        return;
      default:
        return;
    }
    event.preventDefault();
    event.stopPropagation();
  }
}
