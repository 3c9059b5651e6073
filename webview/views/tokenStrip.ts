// The text as a row of tokens. Hovering (or arrowing to) a token tints every other token by the
// attention it pays them, or receives from them; a click or Enter locks it, Esc unlocks. The weights
// are the active token's row (or column), asked for when it becomes active; until they arrive the
// tints stay as they were rather than flash off. Tints are inline background colours on the existing
// spans, written only when their step changes, so a hover costs style recalculation and paint of the
// changed spans, never a layout.
import type { AttentionReply, GeneratedRun } from '../../src/protocol';
import { activeToken, type FocusedViewState, type ViewStateStore } from '../state';
import type { Theme } from '../theme';
import { contrast, cssColor, over } from './color';
import { tokenLabel } from './format';
import { ReplySlot } from './replySlot';
import type { Translate } from './strings';
import type { ViewedInspection } from './viewedInspection';

// Tint opacity runs to this at the strongest weight, so the text under it stays legible.
const MAX_ALPHA = 0.85;
const STEPS = 100;

let nextId = 0;

export class TokenStrip {
  readonly element: HTMLElement;
  private readonly list: HTMLElement;
  private readonly hint: HTMLElement;
  // A written token's candidates, shown while it is active.
  private readonly candidates: HTMLElement;
  private generated: GeneratedRun | undefined;
  private lastCandidates: number | null = null;
  private readonly idPrefix = `al-token-${nextId++}-`;
  private spans: HTMLElement[] = [];
  private steps = new Int16Array(0);
  private inspection?: ViewedInspection;
  // Rows for the last tokens hovered: the pointer often comes back to one.
  private readonly rows = new ReplySlot(() => this.update(this.store.get()), { keep: 32 });
  private backgrounds: string[] = [];
  private texts: string[] = [];
  private lastActive: number | null = null;
  private lastLocked: number | null = null;
  private lastHidden: boolean | undefined;

  constructor(
    private readonly store: ViewStateStore,
    private readonly t: Translate,
    private readonly onLock: (index: number) => void,
  ) {
    this.element = document.createElement('section');
    this.element.className = 'al-section al-strip-section';
    const title = document.createElement('h2');
    title.textContent = t('strip.title');
    this.list = document.createElement('div');
    this.list.className = 'al-strip';
    this.list.tabIndex = 0;
    this.list.setAttribute('role', 'listbox');
    this.list.setAttribute('aria-label', t('strip.title'));
    this.hint = document.createElement('p');
    this.hint.className = 'al-note';
    this.hint.setAttribute('aria-live', 'polite');
    this.candidates = document.createElement('ul');
    this.candidates.className = 'al-candidates';
    this.candidates.setAttribute('aria-live', 'polite');
    this.candidates.hidden = true;
    this.element.append(title, this.list, this.hint, this.candidates);

    this.list.addEventListener('pointerover', (event) => {
      const index = this.indexOf(event.target);
      if (index !== undefined) store.update({ focus: index });
    });
    this.list.addEventListener('pointerleave', () => store.update({ focus: null }));
    this.list.addEventListener('click', (event) => {
      const index = this.indexOf(event.target);
      if (index !== undefined) this.toggleLock(index);
    });
    this.list.addEventListener('focus', () => {
      const state = store.get();
      if (state.focus === null) store.update({ focus: state.locked ?? this.firstVisible() });
    });
    this.list.addEventListener('keydown', (event) => this.onKey(event));
  }

  /**
   * Builds one span per token; `text` (the inspected text) supplies the gaps between tokens, and
   * `generated` says which tokens the model wrote (marked apart, with their candidates when active).
   */
  setInspection(inspection: ViewedInspection, text?: string, generated?: GeneratedRun): void {
    this.inspection = inspection;
    this.generated = generated;
    this.lastCandidates = null;
    this.rows.reset(inspection.data);
    const children: HTMLElement[] = [];
    this.spans = inspection.tokens.map((token, i) => {
      const previousEnd = i > 0 ? inspection.tokens[i - 1].end : 0;
      const gap = text !== undefined && token.start > previousEnd ? text.slice(previousEnd, token.start) : '';
      if (gap.includes('\n')) children.push(Object.assign(document.createElement('span'), { className: 'al-break' }));
      const span = document.createElement('span');
      span.id = this.idPrefix + i;
      span.className = 'al-token' + (token.special ? ' al-special' : '') + (gap && !gap.includes('\n') ? ' al-gap' : '');
      span.setAttribute('role', 'option');
      span.dataset.index = String(i);
      span.textContent = tokenLabel(token, text);
      span.title = `#${i} · id ${token.id} · [${token.start}, ${token.end})`;
      const step = generated && i >= generated.from ? generated.steps[i - generated.from] : undefined;
      if (step) {
        span.classList.add('al-generated');
        span.setAttribute('aria-label', this.t('strip.generated', span.textContent, step.p.toFixed(3)));
      }
      children.push(span);
      return span;
    });
    this.list.replaceChildren(...children);
    this.steps = new Int16Array(this.spans.length).fill(-1);
    this.lastActive = this.lastLocked = null;
    this.lastHidden = undefined;
  }

  /** Precomputes the tint and text colour for every step, so a hover only assigns strings. */
  setTheme(theme: Theme): void {
    this.backgrounds = [];
    this.texts = [];
    for (let s = 0; s <= STEPS; s++) {
      const alpha = (MAX_ALPHA * s) / STEPS;
      const seen = over({ ...theme.accent, a: alpha }, theme.background);
      this.backgrounds.push(s === 0 ? '' : cssColor(theme.accent, alpha));
      // Past about half opacity the tint can swallow the editor's text colour: use whichever of
      // foreground and background stands out more against what is actually behind the text.
      this.texts.push(s < STEPS / 2 ? '' : cssColor(contrast(theme.foreground, seen) >= contrast(theme.background, seen) ? theme.foreground : theme.background));
    }
    this.steps.fill(-1);
  }

  /** Re-tints for the current state; cheap enough to run on every hover. */
  update(state: FocusedViewState): void {
    const inspection = this.inspection;
    if (!inspection || this.backgrounds.length === 0) return;
    performance.mark('al-strip-start');
    if (this.lastHidden !== state.hideSpecial) {
      this.lastHidden = state.hideSpecial;
      this.spans.forEach((span, i) => span.classList.toggle('al-hidden', state.hideSpecial && inspection.isSpecial(i)));
    }
    const active = activeToken(state);
    this.mark(this.lastActive, active, 'al-active');
    this.mark(this.lastLocked, state.locked, 'al-locked');
    if (this.lastLocked !== state.locked) this.spans[this.lastLocked ?? -1]?.setAttribute('aria-selected', 'false');
    if (state.locked !== null) this.spans[state.locked]?.setAttribute('aria-selected', 'true');
    this.lastActive = active;
    this.lastLocked = state.locked;
    if (active !== null && this.spans[active]) this.list.setAttribute('aria-activedescendant', this.idPrefix + active);
    else this.list.removeAttribute('aria-activedescendant');
    this.paint(state, active);
    const hint = state.locked !== null && this.spans[state.locked]
      ? this.t('strip.locked', this.spans[state.locked].textContent ?? '')
      : this.t(state.received ? 'strip.hint.received' : 'strip.hint.paid');
    if (this.hint.textContent !== hint) this.hint.textContent = hint;
    this.showCandidates(active);
    performance.measure('attention-lens:strip', 'al-strip-start');
  }

  // The candidates the active written token was chosen among, the chosen one marked.
  private showCandidates(active: number | null): void {
    const run = this.generated;
    const inspection = this.inspection;
    const index = run && inspection && active !== null && active >= run.from && active < inspection.tokens.length ? active : null;
    if (index === this.lastCandidates) return;
    this.lastCandidates = index;
    this.candidates.hidden = index === null;
    if (index === null || !run || !inspection) return this.candidates.replaceChildren();
    const chosen = inspection.tokens[index];
    const title = Object.assign(document.createElement('li'), { textContent: this.t('strip.candidates', this.spans[index]?.textContent ?? '') });
    const items = run.steps[index - run.from].topk.map((candidate) => {
      const piece = candidate.text.replace(/[▁Ġ]/gu, '·').replace(/\n/g, '↵') || '∅';
      const label = `${piece} ${candidate.p.toFixed(3)}`;
      const item = Object.assign(document.createElement('li'), { textContent: candidate.id === chosen.id ? this.t('strip.chosen', label) : label });
      if (candidate.id === chosen.id) item.className = 'al-chosen';
      return item;
    });
    this.candidates.replaceChildren(title, ...items);
  }

  private paint(state: FocusedViewState, active: number | null): void {
    const inspection = this.inspection!;
    let steps: Int16Array = new Int16Array(this.spans.length);
    if (active !== null && inspection.shown(state.hideSpecial).position[active] >= 0) {
      const reply = this.rows.get({ type: 'row', choice: inspection.choice(state), token: active, received: state.received });
      if (!reply) return;
      if (reply.type === 'row') steps = this.stepsOf(reply, active);
    }
    for (let i = 0; i < steps.length; i++) {
      const step = steps[i];
      if (step === this.steps[i]) continue;
      this.steps[i] = step;
      const style = this.spans[i].style;
      style.backgroundColor = this.backgrounds[step];
      style.color = this.texts[step];
    }
  }

  // Tint steps from the active token's weights, scaled to the strongest other token: a token's
  // attention to itself would otherwise wash out the rest. Hidden tokens' weights are 0.
  private stepsOf(reply: Extract<AttentionReply, { type: 'row' }>, active: number): Int16Array {
    const weights = new Float32Array(reply.values);
    const steps = new Int16Array(this.spans.length);
    let max = 0;
    for (let i = 0; i < steps.length; i++) if (i !== active && weights[i] > max) max = weights[i];
    if (max > 0) {
      for (let i = 0; i < steps.length; i++) steps[i] = i === active ? 0 : Math.round((STEPS * Math.min(max, Math.max(0, weights[i]))) / max);
    }
    return steps;
  }

  private mark(previous: number | null, next: number | null, className: string): void {
    if (previous === next) return;
    if (previous !== null) this.spans[previous]?.classList.remove(className);
    if (next !== null) this.spans[next]?.classList.add(className);
  }

  private onKey(event: KeyboardEvent): void {
    const state = this.store.get();
    const current = state.focus ?? state.locked ?? this.firstVisible();
    const moves: Record<string, number> = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1, Home: -Infinity, End: Infinity };
    if (event.key in moves) {
      event.preventDefault();
      const next = this.step(current, moves[event.key]);
      this.store.update({ focus: next });
      this.spans[next]?.scrollIntoView({ block: 'nearest', inline: 'nearest' });
    } else if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      this.toggleLock(current);
    } else if (event.key === 'Escape' && state.locked !== null) {
      event.preventDefault();
      this.store.update({ locked: null });
    }
  }

  private toggleLock(index: number): void {
    const locked = this.store.get().locked === index ? null : index;
    this.store.update({ locked, focus: index });
    if (locked !== null) this.onLock(locked);
  }

  // The next visible token `delta` steps away (±Infinity: first/last), skipping hidden specials.
  private step(from: number, delta: number): number {
    const visible = this.spans.map((_, i) => i).filter((i) => !this.spans[i].classList.contains('al-hidden'));
    if (visible.length === 0) return from;
    if (delta === -Infinity) return visible[0];
    if (delta === Infinity) return visible[visible.length - 1];
    const at = visible.indexOf(from);
    const base = at < 0 ? visible.findIndex((i) => i > from) : at;
    return visible[Math.max(0, Math.min(visible.length - 1, (base < 0 ? visible.length - 1 : base) + (at < 0 ? 0 : delta)))];
  }

  private firstVisible(): number {
    return this.step(0, -Infinity);
  }

  private indexOf(target: EventTarget | null): number | undefined {
    const span = (target as HTMLElement | null)?.closest?.('.al-token') as HTMLElement | null;
    return span?.dataset.index === undefined ? undefined : Number(span.dataset.index);
  }
}
