// The hover card of an inspected token: the keys it attends to most under the panel's view state,
// as the engine's store answers a 'topk' request.
import * as vscode from 'vscode';
import type { KeyWeight } from '../attention';
import type { Inspection } from './inspection';
import type { ViewState } from '../protocol';
import { headChoice } from '../viewState';

/** How many attended tokens the card lists. */
export const CARD_ENTRIES = 5;

/** The card for query token `query`, whose strongest keys under `view` are `keys` (heaviest first). */
export function attentionCard(inspection: Inspection, query: number, keys: readonly KeyWeight[], view: ViewState): vscode.MarkdownString {
  const { tokens } = inspection;
  const lines = [
    `**${vscode.l10n.t('Attention Lens')}** · ${tokenText(tokens[query].text)} #${query} · ${describeView(view, inspection.started.model.layers)}`,
    '',
    `| | ${vscode.l10n.t('Attends to')} | ${vscode.l10n.t('Position')} | ${vscode.l10n.t('Weight')} |`,
    '|--:|:--|--:|--:|',
  ];
  // A zero weight is no attention at all (a causal model's future tokens): it is not listed.
  keys.filter((key) => key.weight > 0).slice(0, CARD_ENTRIES).forEach(({ index, weight }, rank) => {
    lines.push(`| ${rank + 1} | ${tokenText(tokens[index].text)} | #${index} | ${weight.toFixed(3)} |`);
  });
  const step = inspection.generated && query >= inspection.generated.from ? inspection.generated.steps[query - inspection.generated.from] : undefined;
  if (step) {
    lines.push('', `${vscode.l10n.t('Written by the model, chosen among')}:`, '');
    lines.push(`| | ${vscode.l10n.t('Candidate')} | ${vscode.l10n.t('Probability')} |`, '|--:|:--|--:|');
    step.topk.forEach((candidate, rank) => {
      const chosen = candidate.id === tokens[query].id;
      const name = tokenText(candidate.text.replace(/[▁Ġ]/gu, ' '));
      lines.push(`| ${rank + 1} | ${chosen ? `**${name}** ✓` : name} | ${candidate.p.toFixed(3)} |`);
    });
  }
  return markdown(lines.join('\n'));
}

/** The card shown over a range whose text changed after it was inspected. */
export function staleCard(): vscode.MarkdownString {
  return markdown(`**${vscode.l10n.t('Attention Lens')}** · ${vscode.l10n.t('This text changed after it was inspected; run "Attention Lens: Inspect Selection" again.')}`);
}

/** The card shown when the engine no longer keeps the inspection's attention (it is being run again). */
export function goneCard(): vscode.MarkdownString {
  return markdown(`**${vscode.l10n.t('Attention Lens')}** · ${vscode.l10n.t('The attention of this text is no longer kept in memory; it is being inspected again.')}`);
}

/** The view state in the user's words, layers counted from 1 as the panel shows them. */
export function describeView(view: ViewState, layers: number): string {
  const layer = view.layer + 1;
  const head = headChoice(view);
  switch (head) {
    case 'mean':
      return vscode.l10n.t('layer {0} of {1}, mean over heads', layer, layers);
    case 'max':
      return vscode.l10n.t('layer {0} of {1}, max over heads', layer, layers);
    case 'rollout':
      return vscode.l10n.t('rollout through layer {0} of {1}', layer, layers);
    default:
      return vscode.l10n.t('layer {0} of {1}, head {2}', layer, layers, head + 1);
  }
}

function markdown(value: string): vscode.MarkdownString {
  // Token text comes from the document and the tokenizer: never trusted, never HTML.
  const card = new vscode.MarkdownString(value);
  card.isTrusted = false;
  card.supportHtml = false;
  return card;
}

// Whitespace made visible as the panel shows it, then every Markdown punctuation escaped so that a
// token such as `|`, `*` or `<b>` is shown as written and cannot break the table.
function tokenText(text: string): string {
  const visible = text.replace(/\r/g, '␍').replace(/\n/g, '↵').replace(/\t/g, '→').replace(/ /g, '·') || '∅';
  return visible.replace(/[\\`*_{}[\]()#+\-.!|<>~&]/g, '\\$&');
}
