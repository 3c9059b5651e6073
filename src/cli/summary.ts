import { meanOverHeads } from '../attention';
import type { Report } from '../report/report';

/** What the summary reads of a report: everything but the attention, which comes as buffers. */
export type ReportFacts = Omit<Report, 'attention'>;

const LINKS = 8;

/** Shows a token the way a person reads it: pieces' space markers as spaces, quoted. */
function show(text: string): string {
  return JSON.stringify(text.replace(/[▁Ġ]/g, ' ').replace(/^##/, ''));
}

/** A readable summary of an inspection: model, tokens, and the strongest attention links. */
export function summarize(report: ReportFacts, layers: readonly Float32Array[]): string {
  const { model, tokens } = report;
  const T = tokens.length;
  const lines: string[] = [];
  lines.push(`Model     ${model.id}${model.architecture ? ` (${model.architecture})` : ''}`);
  lines.push(`Shape     ${model.layers} layers × ${model.heads} heads, ${model.causal ? 'causal (decoder)' : 'bidirectional (encoder)'}`);
  if (model.provider) lines.push(`Provider  ${model.provider}`);
  if (model.precision) lines.push(`Precision ${model.precision}`);
  lines.push(`Tokens    ${T}: ${tokens.map((t) => t.text).join(' ')}`);

  // Links within the last layer, averaged over heads. A token attending to itself or to a
  // special token (the usual attention sink) says little, so those are left out.
  const last = meanOverHeads(layers[layers.length - 1], model.heads, T);
  const links: { q: number; k: number; w: number }[] = [];
  for (let q = 0; q < T; q++) {
    if (tokens[q].special) continue;
    for (let k = 0; k < T; k++) {
      if (k === q || tokens[k].special) continue;
      links.push({ q, k, w: last[q * T + k] });
    }
  }
  links.sort((a, b) => b.w - a.w);
  lines.push(`Strongest attention links (layer ${model.layers - 1}, mean over heads; self and special tokens left out):`);
  if (links.length === 0) lines.push('  (none: the text has a single token)');
  for (const { q, k, w } of links.slice(0, LINKS)) {
    lines.push(`  ${show(tokens[q].text)} → ${show(tokens[k].text)}  ${w.toFixed(3)}  (tokens ${q} → ${k})`);
  }
  if (report.timings) {
    const t = report.timings;
    lines.push(`Timings   load ${t.loadMs.toFixed(0)} ms, tokenize ${t.tokenizeMs.toFixed(1)} ms, run ${t.runMs.toFixed(1)} ms`);
  }
  return lines.join('\n');
}
