// Every piece of text the panel shows, its attention views and the facts around them: the one table,
// in English. The extension host fills it through vscode.l10n.t (translations live in
// l10n/bundle.l10n.<locale>.json, keyed by the English text) and hands it to the panel; the notebook
// renderer, which has no vscode.l10n, fills it from the same bundles (bundledStrings). A key a filled
// table lacks reads in English.
import es from '../../l10n/bundle.l10n.es.json';

export const STRINGS = {
  'app.waiting': 'Select text and run “Attention Lens: Inspect Selection” to see its attention.',
  'controls.label': 'Attention view options',
  'controls.layer': 'Layer',
  'controls.head': 'Head',
  'controls.aggregation': 'Aggregation',
  'controls.received': 'Attention received',
  'controls.hideSpecial': 'Hide special tokens',
  'aggregation.head': 'Single head',
  'aggregation.mean': 'Mean over heads',
  'aggregation.max': 'Max over heads',
  'aggregation.rollout': 'Attention rollout across layers',
  'option.layer': 'Layer {0}',
  'option.head': 'Head {0}',
  'progress.receiving': 'Receiving layer {0} of {1}…',
  'progress.label': 'Attention layers received',
  'strip.title': 'Tokens',
  'strip.hint.paid': 'Hover or arrow to a token to tint the tokens it attends to; Enter or click locks, Esc unlocks.',
  'strip.hint.received': 'Hover or arrow to a token to tint the tokens that attend to it; Enter or click locks, Esc unlocks.',
  'strip.locked': 'Locked on “{0}”: Esc or click it again to unlock.',
  'strip.generated': '{0}, written by the model (p = {1})',
  'strip.candidates': 'Candidates for “{0}”:',
  'strip.chosen': '{0} (chosen)',
  'matrix.title': 'Attention matrix',
  'matrix.caption.head': 'Layer {0}, head {1}',
  'matrix.caption.mean': 'Layer {0}, mean over heads',
  'matrix.caption.max': 'Layer {0}, max over heads',
  'matrix.caption.rollout': 'Rollout through layers 0–{0}',
  'matrix.axes': 'Rows: query (the token looking) · columns: key (the token looked at)',
  'matrix.renormalised': 'Special tokens hidden: rows renormalised to sum to 1.',
  'matrix.causal': 'Hatched: masked, a causal model cannot attend to later tokens.',
  'matrix.scale': 'Colour scale from 0 to {0}',
  'matrix.masked': 'masked',
  'matrix.waitingLayer': 'Waiting for layer {0}…',
  'matrix.computingRollout': 'Computing the rollout…',
  'matrix.label': 'Attention matrix, {0} tokens. Arrow keys move between cells, Enter locks the query token; + and − zoom, Shift + arrow keys pan, 0 shows all.',
  'matrix.window': 'queries {0}–{1} × keys {2}–{3}, zoomed {4}×',
  'matrix.pooled': 'Each pixel shows the strongest of about {0} × {0} cells. Zoom in to read single cells: Ctrl + mouse wheel or + and −; drag to pan, 0 shows all.',
  'matrix.zoomed': 'Zoomed in: drag or Shift + arrow keys to pan, − or Ctrl + mouse wheel to zoom out, 0 shows all.',
  'heads.title': 'Head view',
  'heads.caption': 'Layer {0}: line opacity is the attention weight, one colour per head.',
  'heads.thinned': 'Weak lines left out; hover a token to see all of its lines.',
  'heads.toggles': 'Heads shown',
  'heads.label': 'Head view: queries on the left, keys on the right. Up and down arrows move between tokens, Enter locks.',
  'heads.noneShown': 'No heads shown: turn one on above.',
  'model.title': 'Model view',
  'model.caption': 'Every layer (rows) and head (columns): click one to show it in the other views.',
  'model.label': 'Model view, {0} layers by {1} heads. Arrow keys pick a layer and head.',
  'model.cell': 'Layer {0}, head {1}',
  'export.button': 'Export',
  'export.matrix': 'Matrix as PNG…',
  'export.heads': 'Head view as PNG…',
  'export.model': 'Model view as PNG…',
  'export.report': 'Report as JSON…',
  'notebook.summary': '{0} · {1} tokens · {2} layers × {3} heads',
  'notebook.invalid': 'This Attention Lens output could not be shown: {0}',
  'panel.layers': 'Layers',
  'panel.heads': 'Heads',
  'panel.tokens': 'Tokens',
  'panel.provider': 'Provider',
  'panel.precision': 'Precision',
  'panel.truncated': 'Only the first {0} of {1} tokens were inspected.',
  'panel.timings': 'Load {0} ms · run {1} ms · total {2} ms',
  'panel.restoring': 'Inspecting again the text shown before the reload…',
  'window.group': 'Windows of a text longer than the model reads at once',
  'window.position': 'Window {0} of {1} · tokens {2}–{3} of {4}',
  'window.previous': 'Previous window',
  'window.next': 'Next window',
} as const;

export type StringKey = keyof typeof STRINGS;

/** The table filled for one locale; keys it lacks read in English. */
export type Strings = Partial<Record<StringKey, string>>;

/** Looks up UI text; `{0}`, `{1}`… in the text are replaced by the arguments. */
export type Translate = (key: StringKey, ...args: (string | number)[]) => string;

/** Fills the table with `translate` applied to each English text, as the host does with vscode.l10n.t. */
export function fillStrings(translate: (english: string) => string): Strings {
  return Object.fromEntries(Object.entries(STRINGS).map(([key, english]) => [key, translate(english)])) as Strings;
}

/** Fills the table from a translation bundle keyed by English text (an l10n/bundle.l10n.<locale>.json). */
export function fromBundle(bundle: Readonly<Record<string, string>>): Strings {
  return fillStrings((english) => bundle[english] ?? english);
}

/** The lookup over a filled table; English for what it lacks, or for no table at all. */
export function translator(strings: Strings = {}): Translate {
  return (key, ...args) => {
    const text = strings[key] ?? STRINGS[key];
    return args.length === 0 ? text : text.replace(/\{(\d+)\}/g, (_, i: string) => String(args[Number(i)] ?? ''));
  };
}

const BUNDLES: Record<string, Readonly<Record<string, string>>> = { es };

/** The table filled from the extension's own bundle for a locale such as 'es' or 'es-419'; English when it has none. */
export function bundledStrings(locale: string): Strings {
  const tag = locale.toLowerCase();
  const bundle = BUNDLES[tag] ?? BUNDLES[tag.split('-')[0]];
  return bundle ? fromBundle(bundle) : {};
}
